import { ClickHouseError } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import type { IngestorClickHouse } from '../src/clickhouse-writer.ts';
import { coalesceInserts } from '../src/coalesced-inserts.ts';

type Params = Parameters<IngestorClickHouse['insert']>[0];

/** ClickHouse's refusal of the data itself (CANNOT_PARSE_INPUT_ASSERTION_FAILED). */
const rowError = () => new ClickHouseError({ message: 'bad row', code: '27', type: '' });
const transientError = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

/** A connection that records each insert and fails the ones `fails` picks with its error. */
function fakeClickHouse(fails: (params: Params) => Error | undefined = () => undefined) {
  const calls: Params[] = [];
  const clickhouse = {
    insert: async (params: Params) => {
      calls.push(params);
      await Promise.resolve();
      const error = fails(params);
      if (error) throw error;
      return { executed: true, query_id: String(calls.length), response_headers: {}, summary: undefined };
    },
  } as unknown as IngestorClickHouse;
  return { clickhouse, calls };
}

const insert = (table: string, rows: number[], token: string): Params => ({
  table,
  values: rows.map((n) => ({ n })),
  format: 'JSONEachRow',
  clickhouse_settings: { insert_deduplication_token: token },
});

describe('inserts waiting at the same time', () => {
  it('go to ClickHouse as one statement per table, each caller answered by it', async () => {
    const fake = fakeClickHouse();
    const coalesced = coalesceInserts(fake.clickhouse);
    await Promise.all([
      coalesced.insert(insert('dossier_events_v1', [1, 2], 't:0:0-1')),
      coalesced.insert(insert('dossier_events_v1', [3], 't:1:5-5')),
      coalesced.insert(insert('procedures_v1', [4], 'c:0:0-0')),
    ]);
    expect(fake.calls).toEqual([
      insert('dossier_events_v1', [1, 2, 3], 't:0:0-1+t:1:5-5'),
      insert('procedures_v1', [4], 'c:0:0-0'),
    ]);
  });

  it('that arrive while an insert runs join the next one', async () => {
    const fake = fakeClickHouse();
    const coalesced = coalesceInserts(fake.clickhouse);
    const first = coalesced.insert(insert('dossier_events_v1', [1], 'a'));
    await new Promise((r) => setImmediate(r));
    const later = [
      coalesced.insert(insert('dossier_events_v1', [2], 'b')),
      coalesced.insert(insert('dossier_events_v1', [3], 'c')),
    ];
    await Promise.all([first, ...later]);
    expect(fake.calls.map((c) => c.clickhouse_settings?.insert_deduplication_token)).toEqual(['a', 'b+c']);
  });

  it('are inserted one by one when ClickHouse refuses the merged rows, so only the bad batch fails', async () => {
    const fake = fakeClickHouse((p) =>
      (p.values as { n: number }[]).some((r) => r.n === 2) ? rowError() : undefined,
    );
    const coalesced = coalesceInserts(fake.clickhouse);
    const outcomes = await Promise.allSettled([
      coalesced.insert(insert('dossier_events_v1', [1], 'a')),
      coalesced.insert(insert('dossier_events_v1', [2], 'b')),
      coalesced.insert(insert('dossier_events_v1', [3], 'c')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(fake.calls.map((c) => c.clickhouse_settings?.insert_deduplication_token)).toEqual([
      'a+b+c',
      'a',
      'b',
      'c',
    ]);
  });

  it('all fail, without a second write, when the merged statement fails for another reason', async () => {
    const fake = fakeClickHouse(() => transientError());
    const coalesced = coalesceInserts(fake.clickhouse);
    const outcomes = await Promise.allSettled([
      coalesced.insert(insert('dossier_events_v1', [1], 'a')),
      coalesced.insert(insert('dossier_events_v1', [2], 'b')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(fake.calls).toHaveLength(1);
  });

  it('keep apart when their settings differ, and a lone one keeps its own token', async () => {
    const fake = fakeClickHouse();
    const coalesced = coalesceInserts(fake.clickhouse);
    await Promise.all([
      coalesced.insert(insert('dossier_events_v1', [1], 'a')),
      coalesced.insert({
        ...insert('dossier_events_v1', [2], 'b'),
        clickhouse_settings: { insert_deduplication_token: 'b', async_insert: 0 },
      }),
    ]);
    expect(fake.calls.map((c) => c.clickhouse_settings?.insert_deduplication_token)).toEqual(['a', 'b']);
  });
});
