import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFixtureInBrowser, TEST_OUTPUT, type TestBrowser } from './browser.ts';
import type { FixtureMonitor } from './fixture-monitor.ts';

let fixture: FixtureMonitor;
let browser: TestBrowser;
let page: Page;
let errors: string[];
let close: (() => Promise<void>) | undefined;

interface LatestRow {
  kpi: string;
  value: number | null;
}

/** What kpi_latest holds for a scope's latest month, read straight from ClickHouse, not through the monitor. */
async function latestValues(scopeKind: string, scopeCode?: string): Promise<Map<string, number | null>> {
  const result = await fixture.store.clickhouse.query({
    query: `SELECT kpi, value FROM kpi_latest
      WHERE scope_kind = {kind:String} AND ({code:String} = '' OR scope_code = {code:String}) AND period_kind = 'month'
        AND NOT startsWith(kpi, 'index766.')
      ORDER BY kpi, period_start DESC LIMIT 1 BY kpi`,
    query_params: { kind: scopeKind, code: scopeCode ?? '' },
    format: 'JSONEachRow',
  });
  return new Map((await result.json<LatestRow>()).map((r) => [r.kpi, r.value]));
}

async function shownCards(): Promise<Map<string, { value: string; text: string }>> {
  const cards = await page.getByTestId('kpi-card').all();
  const shown = new Map<string, { value: string; text: string }>();
  for (const card of cards) {
    shown.set((await card.getAttribute('data-kpi')) ?? '', {
      value: (await card.getAttribute('data-value')) ?? '',
      text: (await card.getByTestId('kpi-value').textContent()) ?? '',
    });
  }
  return shown;
}

function expectCardsMatch(
  shown: Map<string, { value: string; text: string }>,
  latest: Map<string, number | null>,
  locale: string,
) {
  expect([...shown.keys()].sort()).toEqual([...latest.keys()].sort());
  const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
  for (const [kpi, value] of latest) {
    const card = shown.get(kpi)!;
    expect(card.value, kpi).toBe(value === null ? '' : String(value));
    expect(card.text, kpi).toBe(value === null ? '—' : percent.format(value));
  }
}

beforeAll(async () => {
  ({ fixture, browser, page, errors, close } = await openFixtureInBrowser());
});

afterAll(() => close?.());

describe('dashboard in Chromium over fixture data', () => {
  it('shows the city KPI cards with the values kpi_latest holds, in Vietnamese', async () => {
    await page.goto(fixture.base);
    await page.locator('body[data-kpi-loaded="city::month"]').waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('vi');
    expectCardsMatch(await shownCards(), await latestValues('city'), 'vi-VN');
    const online = page.locator('[data-testid="kpi-card"][data-kpi="online_resolution_rate"]');
    expect(await online.getByTestId('kpi-target').textContent()).toBe('> 80%');
    expect(await online.getByTestId('kpi-phase').textContent()).toBe('Giai đoạn 2 (2026–2030)');
    expect(await online.getByTestId('status-badge').textContent()).toBe('Đạt');
    // Trend charts are drawn (Chart.js from the server itself).
    expect(await page.locator('[data-testid="kpi-card"] canvas').count()).toBeGreaterThan(0);
    await page.getByTestId('latest-table').waitFor();
    // Each rejected message says whether its bytes are on the dead-letter topic or only a reference.
    const onTopic = page.getByTestId('latest-table').locator('[data-topic-record]');
    expect(
      await onTopic.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-topic-record'))),
    ).toEqual(['copy', 'reference', 'copy', 'copy']);
    expect(
      await page.getByTestId('latest-table').locator('[data-topic-record="reference"]').textContent(),
    ).toBe('chỉ tham chiếu');
    await page.screenshot({ path: join(TEST_OUTPUT, 'dashboard-vi.png'), fullPage: true });
  });

  it('switches to one agency with the filter and shows that agency’s values', async () => {
    await page.getByTestId('filter-agency').selectOption('H29.105');
    await page.locator('body[data-kpi-loaded="agency:H29.105:month"]').waitFor();
    expectCardsMatch(await shownCards(), await latestValues('agency', 'H29.105'), 'vi-VN');
    expect(await page.getByTestId('scope-label').textContent()).toBe('UBND Quận 1');
    expect(new URL(page.url()).searchParams.get('agency')).toBe('H29.105');
  });

  it('narrows to an administrative level and ranks its agencies', async () => {
    await page.getByTestId('filter-admin-level').selectOption('district');
    await page.locator('body[data-kpi-loaded="admin_level:district:month"]').waitFor();
    expectCardsMatch(await shownCards(), await latestValues('admin_level', 'district'), 'vi-VN');
    const agencies = await page.getByTestId('filter-agency').locator('option').allTextContents();
    expect(agencies.slice(1)).toEqual(['UBND Quận 1']);
    expect(await page.getByTestId('ranking-table-row').count()).toBe(1);
  });

  it('switches to English and keeps the filter', async () => {
    await page.getByTestId('lang-toggle').click();
    await page.locator('body[data-kpi-loaded="admin_level:district:month"]').waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('h2').first().textContent()).toBe('Programme KPIs');
    expectCardsMatch(await shownCards(), await latestValues('admin_level', 'district'), 'en-GB');
    await page.getByTestId('filter-admin-level').selectOption('');
    await page.locator('body[data-kpi-loaded="city::month"]').waitFor();
    await page
      .getByTestId('ranking-tab')
      .filter({ hasText: /online/i })
      .first()
      .click();
    expect(await page.getByTestId('ranking-table-row').count()).toBe(3);
    await page.screenshot({ path: join(TEST_OUTPUT, 'dashboard-en.png'), fullPage: true });
  });

  it('opens Bull Board with the aggregator queue without reaching outside', async () => {
    await page.getByTestId('bull-board-link').click();
    await page.getByText('kpi-aggregator').first().waitFor();
    expect(new URL(page.url()).pathname.startsWith('/queues')).toBe(true);
  });

  it('made no request beyond the server and raised no script error', () => {
    expect(browser.outside).toEqual([]);
    expect(errors).toEqual([]);
  });
});
