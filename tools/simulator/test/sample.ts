import { type DossierEventRow, foldDossierState, normalizeMessage, type Rejection } from '@dossier/schemas';
import { type BacklogCounts, type BacklogOptions, generateBacklog } from '../src/backlog.ts';
import type { SimMessage } from '../src/dialects.ts';

export const TOPICS = {
  events: 'dossier.events.v1',
  dvcqg: 'dossier.dvcqg-sync.v1',
  catalog: 'dossier.catalog.v1',
};

export function backlogOptions(overrides: Partial<BacklogOptions> = {}): BacklogOptions {
  return {
    seed: 7,
    dvcqgShare: 0.4,
    faults: { duplicate: 0, outOfOrder: 0, malformed: 0 },
    from: new Date('2024-07-01T00:00:00+07:00'),
    to: new Date('2025-10-01T00:00:00+07:00'),
    dossiers: 2_000,
    ...overrides,
  };
}

export function collect(options: BacklogOptions): SimMessage[] {
  return collectWithCounts(options).messages;
}

export function collectWithCounts(options: BacklogOptions): {
  messages: SimMessage[];
  counts: BacklogCounts;
} {
  const messages: SimMessage[] = [];
  const generator = generateBacklog(options);
  for (;;) {
    const next = generator.next();
    if (next.done) return { messages, counts: next.value };
    messages.push(...next.value);
  }
}

/** Runs messages through the ingestor's own normalizer, as the contract's acceptance test. */
export function normalizeAll(messages: SimMessage[]) {
  const rows: DossierEventRow[] = [];
  const rejections: Rejection[] = [];
  let catalogRows = 0;
  messages.forEach((m, i) => {
    const result = normalizeMessage(
      {
        topic: TOPICS[m.topic],
        partition: 0,
        offset: String(i),
        timestamp: String(m.at),
        key: Buffer.from(m.key),
        value: Buffer.from(m.value),
        headers: {},
      },
      { topics: TOPICS, now: new Date(), applicantHashKey: 'test-key-0123456789' },
    );
    if (!result.ok) rejections.push(result.rejection);
    else if (result.output.table === 'dossier_events_v1') rows.push(...result.output.rows);
    else catalogRows += result.output.rows.length;
  });
  return { rows, rejections, catalogRows, states: foldDossierState(rows) };
}
