import { createRng, DEFAULT_TOPICS, generateBacklog, type SimMessage } from '@dossier/simulator';

/** One message of the scenario: what is sent, and what must become of it. */
export interface PlannedMessage {
  topic: 'events' | 'dvcqg';
  key: string | null;
  value: Buffer;
  /** Unique per message (a header): matches a dead letter back to what was sent. */
  id: string;
  /** Undefined for valid input; otherwise the reason codes that would be right. */
  expectedReasons?: readonly string[];
  /** For valid input: the dossier it belongs to and whether it repeats an earlier message. */
  dossier?: string;
  duplicate?: boolean;
}

/** The kinds of hostile input, with the share of the bad messages each takes. */
export const HOSTILE_KINDS = {
  random_bytes: 0.2,
  truncated_json: 0.15,
  deeply_nested_json: 0.08,
  huge_value: 0.1,
  wrong_types: 0.12,
  control_characters: 0.1,
  date_out_of_range: 0.1,
  key_not_dossier_code: 0.1,
  oversize: 0.05,
} as const;
export type HostileKind = keyof typeof HOSTILE_KINDS;

/** Large kinds are capped, so a long run stays within a machine's disk (Kafka and ClickHouse keep them). */
const CAPS: Partial<Record<HostileKind, number>> = { huge_value: 2_000, oversize: 50 };

export interface HostilePlan {
  messages: PlannedMessage[];
  valid: number;
  bad: Record<HostileKind, number>;
  duplicates: number;
  dossiers: Set<string>;
}

const HUGE_BYTES = 200_000;
/** Over the ingestor's 1 MiB input cap and the dead-letter topic's default limit. */
const OVERSIZE_BYTES = 1_200_000;

function validMessages(seed: string, count: number): SimMessage[] {
  const out: SimMessage[] = [];
  const backlog = generateBacklog({
    seed,
    from: new Date('2025-01-01T00:00:00Z'),
    to: new Date('2025-12-31T00:00:00Z'),
    dossiers: Math.ceil(count / 5),
    dvcqgShare: 0.4,
    faults: { duplicate: 0, outOfOrder: 0, malformed: 0 },
  });
  for (const batch of backlog) {
    for (const m of batch) if (m.topic !== 'catalog') out.push(m);
    if (out.length >= count) break;
  }
  return out.slice(0, count);
}

function deepJson(depth: number): string {
  return `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`;
}

/**
 * `total` messages, `badShare` of them hostile, the rest realistic valid traffic from the simulator in
 * both dialects (some sent twice), shuffled together. Deterministic for a seed.
 */
export function planHostileMessages(
  seed: string,
  total: number,
  badShare = 0.3,
  duplicateShare = 0.02,
): HostilePlan {
  const rng = createRng(`${seed}:hostile`);
  const badCount = Math.round(total * badShare);
  const dupCount = Math.round(total * duplicateShare);
  const valid = validMessages(seed, total - badCount - dupCount);
  const messages: PlannedMessage[] = [];
  const dossiers = new Set<string>();
  let n = 0;
  const id = () => `m${n++}`;
  for (const m of valid) {
    const topic = m.topic === 'dvcqg' ? 'dvcqg' : 'events';
    dossiers.add(m.key);
    messages.push({ topic, key: m.key, value: Buffer.from(m.value), id: id(), dossier: m.key });
  }
  for (let i = 0; i < dupCount && valid.length > 0; i++) {
    const original = messages[rng.int(0, valid.length - 1)] as PlannedMessage;
    messages.push({ ...original, id: id(), duplicate: true });
  }
  const bad = Object.fromEntries(Object.keys(HOSTILE_KINDS).map((k) => [k, 0])) as Record<
    HostileKind,
    number
  >;
  const kinds = Object.entries(HOSTILE_KINDS) as [HostileKind, number][];
  const template = (): SimMessage => valid[rng.int(0, valid.length - 1)] as SimMessage;
  for (let i = 0; i < badCount; i++) {
    let pick = rng.next();
    let kind: HostileKind = 'random_bytes';
    for (const [k, share] of kinds) {
      if (pick < share) {
        kind = k;
        break;
      }
      pick -= share;
    }
    if (bad[kind] >= (CAPS[kind] ?? Number.POSITIVE_INFINITY)) kind = 'random_bytes';
    bad[kind] += 1;
    const base = template();
    const topic = base.topic === 'dvcqg' ? 'dvcqg' : 'events';
    const record = JSON.parse(base.value) as Record<string, unknown>;
    const planned = (value: Buffer | string, reasons: readonly string[], key: string | null = `bad-${i}`) =>
      messages.push({
        topic,
        key,
        value: Buffer.isBuffer(value) ? value : Buffer.from(value),
        id: id(),
        expectedReasons: reasons,
      });
    switch (kind) {
      case 'random_bytes': {
        const bytes = Buffer.alloc(rng.int(1, 2_000));
        for (let b = 0; b < bytes.length; b++) bytes[b] = rng.int(0, 255);
        planned(bytes, ['invalid_encoding', 'invalid_json', 'empty']);
        break;
      }
      case 'truncated_json':
        planned(base.value.slice(0, rng.int(1, base.value.length - 2)), ['invalid_json', 'empty']);
        break;
      case 'deeply_nested_json':
        planned(deepJson(rng.chance(0.5) ? 100_000 : 500), ['invalid_json', 'schema']);
        break;
      case 'huge_value': {
        const bytes = Buffer.alloc(HUGE_BYTES, 0x41);
        bytes.write('{"truncated": "', 0);
        planned(bytes, ['invalid_json']);
        break;
      }
      case 'oversize':
        planned(Buffer.alloc(OVERSIZE_BYTES, 0x20), ['too_large']);
        break;
      case 'wrong_types':
        if (topic === 'dvcqg') record.TrangThaiHoSo = { status: 'done' };
        else record.time = 12345;
        planned(JSON.stringify(record), ['schema', 'unknown_status', 'bad_date'], base.key);
        break;
      case 'control_characters':
        if (topic === 'dvcqg') record.MaHoSo = `${String(record.MaHoSo)}\u0000\u0007`;
        else record.subject = `${String(record.subject)}\u0000\u001b[2J`;
        planned(JSON.stringify(record), ['schema'], null);
        break;
      case 'date_out_of_range':
        if (topic === 'dvcqg') record.NgayNopHoSo = '18991231235959';
        else record.time = '1899-12-31T23:59:59+07:00';
        planned(JSON.stringify(record), ['bad_date', 'schema'], base.key);
        break;
      case 'key_not_dossier_code':
        planned(base.value, ['key_mismatch'], `not-a-dossier-${i}`);
        break;
    }
  }
  // Interleave: a seeded shuffle, so bad input sits between valid messages of every partition.
  for (let i = messages.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [messages[i], messages[j]] = [messages[j] as PlannedMessage, messages[i] as PlannedMessage];
  }
  return {
    messages,
    valid: valid.length,
    bad,
    duplicates: dupCount,
    dossiers,
  };
}

export const SCENARIO_TOPICS = DEFAULT_TOPICS;
