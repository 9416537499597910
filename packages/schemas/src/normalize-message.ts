import { isUtf8 } from 'node:buffer';
import { normalizeCanonicalEvent } from './canonical-event.ts';
import { normalizeCatalogMessage } from './catalog.ts';
import { foldCode } from './common.ts';
import type { NormalizeContext } from './dossier-row.ts';
import { normalizeDvcqgRecord } from './dvcqg-adapter.ts';
import { normalizeIndex766ExternalMessage } from './index766-external.ts';
import { RejectedInput, reject } from './rejection.ts';
import type { NormalizedRows, NormalizeResult, RawMessage } from './rows.ts';

export interface NormalizeOptions {
  /** Topic names; the topic decides the dialect. Without index766External that topic is not an input. */
  topics: { events: string; dvcqg: string; catalog: string; index766External?: string };
  /** The ingestor's clock, for the future-timestamp tolerance. */
  now: Date;
  /** How far past `now` a fact's time may lie (clock skew). Default 10 minutes. */
  futureToleranceMs?: number;
  /** Larger values are rejected as `too_large`. Default 1 MiB. */
  maxMessageBytes?: number;
  /** HMAC-SHA256 key for applicant_hash. */
  applicantHashKey: string;
}

export const DEFAULT_FUTURE_TOLERANCE_MS = 10 * 60_000;
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

function decodeJson(value: Buffer | null, maxBytes: number): unknown {
  if (value === null || value.length === 0)
    reject('empty', '(message): the value is empty; expected a JSON object');
  if (value.length > maxBytes) {
    reject('too_large', `(message): the value is ${value.length} bytes; the cap is ${maxBytes} bytes`);
  }
  if (!isUtf8(value))
    reject('invalid_encoding', '(message): the value is not valid UTF-8; expected UTF-8 JSON');
  let text = value.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') reject('empty', '(message): the value is only whitespace; expected a JSON object');
  try {
    return JSON.parse(text);
  } catch (err) {
    // Only the position: V8's message quotes the input, which may hold personal data.
    const position = err instanceof Error ? /position (\d+)/.exec(err.message)?.[1] : undefined;
    const where = position === undefined ? 'truncated or malformed' : `error at character ${position}`;
    return reject('invalid_json', `(message): not valid JSON (${where}); expected a JSON object`);
  }
}

function checkOrigin(message: RawMessage): void {
  if (!Number.isSafeInteger(message.partition) || message.partition < 0) {
    reject('bad_origin', 'partition: expected a non-negative integer');
  }
  if (typeof message.offset !== 'string' || !/^\d{1,20}$/.test(message.offset)) {
    reject('bad_origin', 'offset: expected a non-negative integer as a string');
  }
}

function normalizeOrThrow(message: RawMessage, options: NormalizeOptions): NormalizedRows {
  const { topics } = options;
  const dialect =
    message.topic === topics.events
      ? 'canonical'
      : message.topic === topics.dvcqg
        ? 'dvcqg'
        : message.topic === topics.catalog
          ? 'catalog'
          : topics.index766External !== undefined && message.topic === topics.index766External
            ? 'index766_external'
            : null;
  if (dialect === null) {
    return reject(
      'unknown_topic',
      `topic: ${JSON.stringify(String(message.topic).slice(0, 120))} is not an input topic; expected ${[topics.events, topics.dvcqg, topics.catalog, topics.index766External].filter(Boolean).join(', ')}`,
    );
  }
  checkOrigin(message);
  const value = decodeJson(message.value, options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
  const ctx: NormalizeContext = {
    origin: message,
    nowMs: options.now.getTime(),
    futureToleranceMs: options.futureToleranceMs ?? DEFAULT_FUTURE_TOLERANCE_MS,
    applicantHashKey: options.applicantHashKey,
  };
  if (dialect === 'catalog') return normalizeCatalogMessage(value, ctx);
  if (dialect === 'index766_external') return normalizeIndex766ExternalMessage(value, message.key, ctx);
  const row =
    dialect === 'canonical' ? normalizeCanonicalEvent(value, ctx) : normalizeDvcqgRecord(value, ctx);
  checkKey(message.key, row.dossier_code);
  return { table: 'dossier_events_v1', rows: [row] };
}

/**
 * The key decides the partition, which keeps one dossier's messages in order: a key naming something
 * else means the sender keys its messages wrongly. No key at all is accepted (round-robin producers).
 */
function checkKey(key: Buffer | null, dossierCode: string): void {
  if (key === null || key.length === 0) return;
  if (foldCode(key.toString('utf8')) !== dossierCode)
    reject(
      'key_mismatch',
      'key: is not the dossier code of the message (MaHoSo / subject); expected that code, or no key',
    );
}

/**
 * The ingestor's single entry point: one Kafka message → rows for one table, or a rejection with a
 * stable code and a reason free of personal data. Never throws, whatever the input.
 */
export function normalizeMessage(message: RawMessage, options: NormalizeOptions): NormalizeResult {
  try {
    return { ok: true, output: normalizeOrThrow(message, options) };
  } catch (err) {
    if (err instanceof RejectedInput) return { ok: false, rejection: err.toRejection() };
    // A bug here must not stop the partition: the message is dead-lettered and counted instead.
    const name = err instanceof Error ? err.name : typeof err;
    return {
      ok: false,
      rejection: { code: 'internal_error', reason: `normalizer failed (${name}); please report` },
    };
  }
}
