import { join } from 'node:path';
import { INDEX766_TOTAL } from '@dossier/kpi';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFixtureInBrowser, TEST_OUTPUT, type TestBrowser } from './browser.ts';
import type { FixtureMonitor } from './fixture-monitor.ts';

let fixture: FixtureMonitor;
let browser: TestBrowser;
let page: Page;
let errors: string[];
let close: (() => Promise<void>) | undefined;

interface Latest {
  kpi: string;
  scope: string;
  numerator: number;
  denominator: number;
  score: number | null;
  max_score: number | null;
  reason: string;
}

/** The Decision 766 rows kpi_latest holds for one period, read straight from ClickHouse. */
async function latest(periodKind: string, periodStart: string): Promise<Latest[]> {
  const result = await fixture.store.clickhouse.query({
    query: `SELECT kpi, concat(scope_kind, ':', scope_code) AS scope, toFloat64(numerator) AS numerator,
        toFloat64(denominator) AS denominator, toNullable(toFloat64(score)) AS score,
        toNullable(toFloat64(max_score)) AS max_score, reason
      FROM kpi_latest
      WHERE startsWith(kpi, 'index766.') AND scope_kind IN ('city', 'agency')
        AND period_kind = {kind:String} AND period_start = {start:Date}`,
    query_params: { kind: periodKind, start: periodStart },
    format: 'JSONEachRow',
  });
  return result.json<Latest>();
}

const attr = (v: string | null) => (v === null || v === '' ? null : Number(v));

/** Every unit row, group cell and component row of the scorecard as the page shows it. */
async function shown() {
  const units = [];
  for (const row of await page.getByTestId('scorecard-unit').all()) {
    const scope = (await row.getAttribute('data-scope')) as string;
    const groups = new Map<string, number | null>();
    for (const cell of await row.getByTestId('scorecard-group').all())
      groups.set(
        (await cell.getAttribute('data-kpi')) as string,
        attr(await cell.getAttribute('data-score')),
      );
    const detail = page.locator(`[data-testid="scorecard-detail"][data-scope="${scope}"]`);
    const components = new Map<
      string,
      {
        score: number | null;
        numerator: number | null;
        denominator: number | null;
        noData: boolean;
        reason: string;
      }
    >();
    for (const c of await detail.getByTestId('scorecard-component').all())
      components.set((await c.getAttribute('data-kpi')) as string, {
        score: attr(await c.getAttribute('data-score')),
        numerator: attr(await c.getAttribute('data-numerator')),
        denominator: attr(await c.getAttribute('data-denominator')),
        noData: (await c.getAttribute('data-no-data')) === 'true',
        reason: ((await c.getByTestId('scorecard-reason').textContent()) ?? '').trim(),
      });
    units.push({
      scope,
      rank: attr(await row.getAttribute('data-rank')),
      total: attr(await row.getAttribute('data-total')),
      maxScore: attr(await row.getAttribute('data-max-score')),
      groups,
      components,
    });
  }
  return units;
}

/** The scorecard shows kpi_latest faithfully: every score, ratio and reason, units ranked by total. */
async function expectScorecardMatches(periodKind: string, periodStart: string) {
  const rows = await latest(periodKind, periodStart);
  expect(rows.length).toBeGreaterThan(0);
  const units = await shown();
  const scopes = [...new Set(rows.map((r) => r.scope))];
  expect(units.map((u) => u.scope).sort()).toEqual(scopes.sort());
  const totals = rows.filter((r) => r.kpi === INDEX766_TOTAL);
  const agencies = totals.filter((r) => r.scope.startsWith('agency:'));
  const ranked = [...agencies].sort(
    (a, b) =>
      (b.score ?? Number.NEGATIVE_INFINITY) - (a.score ?? Number.NEGATIVE_INFINITY) ||
      a.scope.localeCompare(b.scope),
  );
  expect(units.filter((u) => u.scope.startsWith('agency:')).map((u) => u.scope)).toEqual(
    ranked.map((r) => r.scope),
  );
  for (const unit of units) {
    const of = (kpi: string) => rows.find((r) => r.scope === unit.scope && r.kpi === kpi);
    expect(unit.total, unit.scope).toBe(of(INDEX766_TOTAL)?.score ?? null);
    expect(unit.maxScore, unit.scope).toBe(of(INDEX766_TOTAL)?.max_score ?? null);
    expect(unit.groups.size).toBe(6);
    for (const [kpi, score] of unit.groups)
      expect(score, `${unit.scope} ${kpi}`).toBe(of(kpi)?.score ?? null);
    expect(unit.components.size).toBeGreaterThan(15);
    for (const [kpi, c] of unit.components) {
      const row = of(kpi);
      expect(c.score, `${unit.scope} ${kpi}`).toBe(row?.score ?? null);
      expect(c.noData, `${unit.scope} ${kpi}`).toBe((row?.score ?? null) === null);
      if (row) {
        expect([c.numerator, c.denominator], `${unit.scope} ${kpi}`).toEqual([
          row.numerator,
          row.denominator,
        ]);
        if (row.score === null) expect(c.reason).toBe(row.reason || '—');
      }
    }
  }
}

beforeAll(async () => {
  ({ fixture, browser, page, errors, close } = await openFixtureInBrowser());
});

afterAll(() => close?.());

describe('Decision 766 scorecard in Chromium', () => {
  it('shows the current month as kpi_latest holds it, in Vietnamese, units ranked by total', async () => {
    await page.goto(fixture.base);
    await page.locator('body[data-scorecard-loaded="month:2026-11-01"]').waitFor();
    await expectScorecardMatches('month', '2026-11-01');
    const ranks = await page
      .getByTestId('scorecard-unit')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-rank')));
    expect(ranks).toEqual(['', '1', '2', '']);
    // No total: marked as such, not shown as 0.
    const unscored = page.locator('[data-testid="scorecard-unit"][data-scope="agency:H29.105.26734"]');
    expect(await unscored.getByTestId('scorecard-total').textContent()).toBe('Chưa có dữ liệu');
    // The drill-down opens on demand and marks the components without data with their reason.
    const detail = page.locator('[data-testid="scorecard-detail"][data-scope="agency:H29.105"]');
    expect(await detail.isVisible()).toBe(false);
    await page
      .locator('[data-testid="scorecard-unit"][data-scope="agency:H29.105"]')
      .getByTestId('scorecard-toggle')
      .click();
    expect(await detail.isVisible()).toBe(true);
    const missing = detail.locator(
      '[data-testid="scorecard-component"][data-kpi="index766.transparency.published_on_time"]',
    );
    expect(await missing.getAttribute('data-no-data')).toBe('true');
    expect(await missing.textContent()).toContain('Chưa có dữ liệu');
    expect(await missing.getByTestId('scorecard-reason').textContent()).toBe('no_external_figures');
    await page.screenshot({ path: join(TEST_OUTPUT, 'scorecard-vi.png'), fullPage: true });
  });

  it('keeps the programme KPI cards free of the index rows', async () => {
    const cards = await page
      .getByTestId('kpi-card')
      .evaluateAll((all) => all.map((c) => c.getAttribute('data-kpi')));
    expect(cards.length).toBeGreaterThan(0);
    expect(cards.filter((k) => k?.startsWith('index766.'))).toEqual([]);
  });

  it('switches to another period kind, and to English', async () => {
    await page.getByTestId('scorecard-kind').selectOption('quarter');
    await page.locator('body[data-scorecard-loaded="quarter:2026-10-01"]').waitFor();
    await expectScorecardMatches('quarter', '2026-10-01');
    await page.goto(`${fixture.base}/?lang=en`);
    await page.locator('body[data-scorecard-loaded="month:2026-11-01"]').waitFor();
    await expectScorecardMatches('month', '2026-11-01');
    const head = await page.getByTestId('scorecard-table').locator('thead th').allTextContents();
    expect(head.slice(0, 5)).toEqual(['Rank', 'Unit', 'Total', 'Points with data', 'Transparency (18)']);
    const unscored = page.locator('[data-testid="scorecard-unit"][data-scope="agency:H29.105.26734"]');
    expect(await unscored.getByTestId('scorecard-total').textContent()).toBe('No data');
    await page.screenshot({ path: join(TEST_OUTPUT, 'scorecard-en.png'), fullPage: true });
  });

  it('made no request beyond the server and raised no script error', () => {
    expect(browser.outside).toEqual([]);
    expect(errors).toEqual([]);
  });
});
