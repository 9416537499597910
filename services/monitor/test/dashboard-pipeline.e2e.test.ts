import { join } from 'node:path';
import { type ClickHouse, createClickHouse } from '@dossier/clickhouse';

import { createSimulator } from '@dossier/simulator';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testKafka } from '../../../test/support/kafka.ts';
import { testLogger } from '../../../test/support/test-log.ts';
import { openBrowser, TEST_OUTPUT, type TestBrowser } from './browser.ts';
import { type RunningPipeline, startRunningPipeline, waitFor } from './running-pipeline.ts';

let pipeline: RunningPipeline;
let analysts: ClickHouse;
let browser: TestBrowser;
let page: Page;
/** What went wrong in the page, shown by the last test so a failure explains itself. */
const problems: string[] = [];

type Values = Record<string, number | null>;

/** Latest month per KPI of one scope, as kpi_latest holds it (read through the analysts' endpoint). */
async function latest(scopeKind: string, scopeCode = ''): Promise<Values> {
  const result = await analysts.query({
    query: `SELECT kpi, value FROM kpi_latest
      WHERE scope_kind = {kind:String} AND ({code:String} = '' OR scope_code = {code:String}) AND period_kind = 'month'
        AND NOT startsWith(kpi, 'index766.')
      ORDER BY kpi, period_start DESC LIMIT 1 BY kpi`,
    query_params: { kind: scopeKind, code: scopeCode },
    format: 'JSONEachRow',
  });
  return Object.fromEntries(
    (await result.json<{ kpi: string; value: number | null }>()).map((r) => [r.kpi, r.value]),
  );
}

async function shown(): Promise<Values> {
  const cards = await page.getByTestId('kpi-card').all();
  const values: Values = {};
  for (const card of cards) {
    const raw = (await card.getAttribute('data-value')) ?? '';
    values[(await card.getAttribute('data-kpi')) ?? ''] = raw === '' ? null : Number(raw);
  }
  return values;
}

/**
 * The aggregator keeps recomputing while the page loads: compare the cards with kpi_latest read just
 * before and just after them, and load again when the two reads differ (a cycle landed in between).
 */
async function expectCardsShowKpiLatest(load: () => Promise<void>, scopeKind: string, scopeCode = '') {
  for (;;) {
    const before = await latest(scopeKind, scopeCode);
    await load();
    const cards = await shown();
    const after = await latest(scopeKind, scopeCode);
    if (JSON.stringify(before) !== JSON.stringify(after)) continue;
    expect(Object.keys(after).length).toBeGreaterThan(0);
    expect(cards).toEqual(after);
    return;
  }
}

beforeAll(async () => {
  pipeline = await startRunningPipeline({ SIMULATOR: 'false' });
  analysts = await createClickHouse({ url: pipeline.analysts, application: 'monitor-e2e' });
  // The simulator as a separate producer: realistic traffic in both dialects, with broken messages.
  const simulator = createSimulator({
    kafka: testKafka().kafka,
    topics: pipeline.topics,
    rate: 400,
    durationSec: 6,
    seed: 'monitor-e2e',
    dvcqgShare: 0.4,
    faults: { duplicate: 0.02, outOfOrder: 0.05, malformed: 0.05 },
    backdateDays: 60,
    logger: testLogger('simulator'),
  });
  await simulator.run();
  const count = async (sql: string) => {
    const result = await analysts.query({ query: sql, format: 'JSONEachRow' });
    const [row] = await result.json<{ n: string | number }>();
    return Number(row?.n ?? 0);
  };
  await waitFor(
    async () =>
      (await count("SELECT count() AS n FROM kpi_latest WHERE scope_kind = 'agency' AND denominator > 0")) >
      0,
  );
  await waitFor(async () => (await count('SELECT count() AS n FROM dead_letters_v2')) > 0);
  browser = await openBrowser(pipeline.dashboard);
  page = await browser.context.newPage();
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`${res.status()} ${res.url()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await analysts?.close();
  await pipeline?.stop();
});

describe('dashboard against the running pipeline fed by the simulator', () => {
  it('shows the city cards with the values kpi_latest holds', async () => {
    await expectCardsShowKpiLatest(async () => {
      await page.goto(pipeline.dashboard);
      await page.locator('body[data-kpi-loaded="city::month"]').waitFor();
    }, 'city');
  });

  it('switches the agency filter and shows that agency’s kpi_latest values', async () => {
    const options: string[] = [];
    for (const option of await page.getByTestId('filter-agency').locator('option').all()) {
      const value = await option.getAttribute('value');
      if (value) options.push(value);
    }
    expect(options.length).toBeGreaterThan(0);
    const agency = options[0]!;
    await expectCardsShowKpiLatest(
      async () => {
        await page.goto(`${pipeline.dashboard}/?agency=${encodeURIComponent(agency)}`);
        await page.locator(`body[data-kpi-loaded="agency:${agency}:month"]`).waitFor();
      },
      'agency',
      agency,
    );
    // The same switch through the control itself, back to the whole city.
    await page.getByTestId('filter-agency').selectOption('');
    await page.locator('body[data-kpi-loaded="city::month"]').waitFor();
  });

  it('shows pipeline health from the same process: lag per partition, dead letters, queue', async () => {
    await page.getByTestId('lag-table-row').first().waitFor();
    await page.getByTestId('latest-table-row').first().waitFor();
    expect(await page.getByTestId('queue-table-row').count()).toBe(1);
    expect(await page.getByTestId('readiness').textContent()).not.toBe('');
    await page.screenshot({ path: join(TEST_OUTPUT, 'dashboard-pipeline.png'), fullPage: true });
    expect(browser.outside).toEqual([]);
    expect(problems).toEqual([]);
  });
});
