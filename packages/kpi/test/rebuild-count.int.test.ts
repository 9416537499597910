import { type ClickHouse, createClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { countFactDossiers } from '../src/rebuild.ts';

// The rebuild reports how many dossiers its facts hold. Counting them must not take memory that grows
// with the history: at 50M dossiers a set of every code failed the pipeline's limit after the rebuild
// had committed. Here 3M facts rows (some dossiers in two versions) are counted under a 64 MiB limit.
const DOSSIERS = 3_000_000;
const LIMIT_BYTES = 64 * 1024 * 1024;

let test: TestClickHouse;
let limited: ClickHouse;
beforeAll(async () => {
  test = await createTestClickHouse();
  await test.clickhouse.command({
    query: `INSERT INTO kpi_dossier_facts_v1 (dossier_code, facts_version)
            SELECT concat('HCM-', leftPad(toString(number), 12, '0')), 1 FROM numbers({n:UInt64})`,
    query_params: { n: DOSSIERS },
  });
  await test.clickhouse.command({
    query: `INSERT INTO kpi_dossier_facts_v1 (dossier_code, facts_version)
            SELECT concat('HCM-', leftPad(toString(number * 7), 12, '0')), 2 FROM numbers(1000)`,
  });
  limited = await createClickHouse({
    url: test.url,
    application: 'dossier-tests',
    settings: { max_memory_usage: String(LIMIT_BYTES) },
  });
}, 120_000);
afterAll(async () => {
  await limited?.close();
  await test?.close();
});

describe('the rebuild counting its dossiers', () => {
  it('counts every dossier once, in memory that does not follow the number of dossiers', async () => {
    expect(await countFactDossiers(limited)).toBe(DOSSIERS);
  });
});
