import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../support/clickhouse.ts';

/** The contract of 0140/0141 that the KPI engine reads: the latest figure per key, reloads folded away. */
describe('index766_external_latest_v1', () => {
  let ch: TestClickHouse;
  beforeAll(async () => {
    ch = await createTestClickHouse();
  }, 300_000);
  afterAll(() => ch?.close());

  const row = (over: Record<string, unknown>) => ({
    scope_kind: 'agency',
    scope_code: 'H29.105',
    period_kind: 'month',
    period_start: '2026-11-01',
    figure: 'index766.transparency.published_on_time',
    dossier_code: '',
    numerator: 3,
    denominator: 4,
    source: 'DVCQG evaluation API 2026-12-03',
    loaded_at: '2026-12-03 10:00:00.000',
    load_id: 'load-a',
    csv_line: 2,
    event_id: 'e-a-2',
    ...over,
  });

  it('gives the latest load per key, and a redelivered event replaces its own row', async () => {
    await ch.clickhouse.insert({
      table: 'index766_external_v1',
      values: [
        row({}),
        row({ event_id: 'e-a-2', loaded_at: '2026-12-03 10:00:01.000' }),
        row({ numerator: 4, loaded_at: '2026-12-04 10:00:00.000', load_id: 'load-b', event_id: 'e-b-2' }),
        row({ scope_kind: 'city', scope_code: '', numerator: 7, denominator: 9 }),
        row({
          figure: 'petitions.dossier',
          dossier_code: 'H29.105-261101-0001',
          numerator: 1,
          denominator: 0,
        }),
      ],
      format: 'JSONEachRow',
    });
    const rs = await ch.clickhouse.query({
      query:
        'SELECT scope_kind, scope_code, figure, dossier_code, toUInt32(numerator) AS numerator, toUInt32(denominator) AS denominator, load_id, csv_line FROM index766_external_latest_v1 ORDER BY figure, scope_kind',
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([
      {
        scope_kind: 'agency',
        scope_code: 'H29.105',
        figure: 'index766.transparency.published_on_time',
        dossier_code: '',
        numerator: 4,
        denominator: 4,
        load_id: 'load-b',
        csv_line: 2,
      },
      {
        scope_kind: 'city',
        scope_code: '',
        figure: 'index766.transparency.published_on_time',
        dossier_code: '',
        numerator: 7,
        denominator: 9,
        load_id: 'load-a',
        csv_line: 2,
      },
      {
        scope_kind: 'agency',
        scope_code: 'H29.105',
        figure: 'petitions.dossier',
        dossier_code: 'H29.105-261101-0001',
        numerator: 1,
        denominator: 0,
        load_id: 'load-a',
        csv_line: 2,
      },
    ]);
  });
});
