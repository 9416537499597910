import { randomUUID } from 'node:crypto';
import { formatHoChiMinh } from '@dossier/schemas';
import type { Message } from 'kafkajs';
import { IngestorConfig } from '../src/config.ts';

/** Canonical CloudEvents 1.0 dossier events (DESIGN.md "Input contract"), schema-valid by default. */
export interface CanonicalEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  subject: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
}

export const PROCEDURE = '1.000494.000.00.00.H29';
const DAY_MS = 86_400_000;

/** RFC 3339 with the Ho Chi Minh offset, as agency systems send it. */
export const vnTime = formatHoChiMinh;

let sequence = 0;
/** A dossier code no other test uses: `<agency>-<yyMMdd>-<sequence>`. */
export function uniqueDossierCode(agency = 'H29.105'): string {
  sequence += 1;
  const seq = `${process.pid % 10_000}${String(sequence).padStart(4, '0')}${Math.floor(Math.random() * 100)}`;
  return `${agency}-250304-${seq.slice(0, 10)}`;
}

export function canonicalEvent(
  kind: string,
  subject: string,
  timeMs: number,
  data: Record<string, unknown> = {},
  id: string = randomUUID(),
): CanonicalEvent {
  return {
    specversion: '1.0',
    id,
    source: '/agency/H29.105/mot-cua',
    type: `vn.dossier.${kind}`,
    time: vnTime(timeMs),
    subject,
    datacontenttype: 'application/json',
    data,
  };
}

/**
 * One dossier's life in order: submitted online, received with a due date, a supplement round,
 * paid online, resolved, returned, rated. Times are in the past so no future-time rejection applies.
 */
export function dossierLifecycle(subject: string, startMs = Date.now() - 30 * DAY_MS): CanonicalEvent[] {
  const at = (days: number) => startMs + days * DAY_MS;
  return [
    canonicalEvent('submitted', subject, at(0), {
      procedure_code: PROCEDURE,
      channel: 'online',
      applicant: { kind: 'citizen', id_number: '079123456789', name: 'Nguyễn Văn A' },
    }),
    canonicalEvent('received', subject, at(1), {
      procedure_code: PROCEDURE,
      channel: 'online',
      due_at: vnTime(at(10)),
    }),
    canonicalEvent('supplement_requested', subject, at(2), { due_at: vnTime(at(12)) }),
    canonicalEvent('supplement_received', subject, at(3)),
    canonicalEvent('paid', subject, at(4), {
      fees: [{ code: 'LP01', amount_vnd: 50_000 }],
      paid_online: true,
      payment_channel: 'dvcqg',
    }),
    canonicalEvent('resolved', subject, at(8), { result_digitized: true }),
    canonicalEvent('result_returned', subject, at(9)),
    canonicalEvent('rated', subject, at(10), { satisfied: true, score: 5 }),
  ];
}

/** A submitted event per dossier: the simplest valid traffic, one row and one dossier each. */
export function submittedEvents(count: number): CanonicalEvent[] {
  return Array.from({ length: count }, () =>
    canonicalEvent('submitted', uniqueDossierCode(), Date.now() - DAY_MS, {
      procedure_code: PROCEDURE,
      channel: 'direct',
    }),
  );
}

export function toMessage(event: CanonicalEvent): Message {
  return { key: event.subject, value: JSON.stringify(event) };
}

export function procedureUpsert(code: string, version = Date.now() - DAY_MS) {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '/catalog/tthc',
    type: 'vn.catalog.procedure',
    time: vnTime(version),
    subject: code,
    data: {
      code,
      name: 'Cấp giấy phép xây dựng',
      field_code: 'G09-XD01',
      admin_levels: ['district'],
      online_eligible: true,
      online_class: 'full',
      full_process_eligible: true,
      fee_bearing: true,
      online_payment: true,
      dvcqg_integrated: true,
      valid_from: '2024-01-01',
    },
  };
}

/** A fixed test key (never used outside tests). */
export const TEST_DEAD_LETTER_KEY = '0123456789abcdef'.repeat(4);

/** Config with a unique group and topics so tests sharing one broker never see each other's data. */
export function testConfig(
  brokers: string[],
  overrides: Partial<Record<string, string>> = {},
): IngestorConfig {
  const id = randomUUID().slice(0, 8);
  return IngestorConfig.parse({
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_CLIENT_ID: `ingestor-test-${id}`,
    KAFKA_GROUP_ID: `ingestor-test-${id}`,
    TOPIC_EVENTS: `events-${id}`,
    TOPIC_DVCQG: `dvcqg-${id}`,
    TOPIC_CATALOG: `catalog-${id}`,
    TOPIC_INDEX766_EXTERNAL: `index766-external-${id}`,
    TOPIC_DEAD_LETTER: `dead-letter-${id}`,
    APPLICANT_HASH_KEY: 'test-applicant-hash-key-0123456789',
    DEAD_LETTER_KEY: TEST_DEAD_LETTER_KEY,
    INGEST_MIN_BYTES: '1',
    INGEST_MAX_WAIT_MS: '100',
    RETRY_INITIAL_MS: '100',
    RETRY_MAX_MS: '1000',
    LAG_REFRESH_MS: '500',
    SHUTDOWN_TIMEOUT_MS: '5000',
    LOG_LEVEL: 'warn',
    ...overrides,
  });
}
