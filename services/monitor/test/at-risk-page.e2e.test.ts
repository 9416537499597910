import { join } from 'node:path';
import { formatUtc } from '@dossier/schemas';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, openFacts, seedAtRiskAgencies, seedOpenFacts } from './at-risk-fixtures.ts';
import { openFixtureInBrowser, TEST_OUTPUT, type TestBrowser } from './browser.ts';
import type { FixtureMonitor } from './fixture-monitor.ts';

// The at-risk page in Chromium, opened from a unit's Decision 766 scorecard row: what it shows (counts
// by state, the units below rolled up, the list by working days left, page by page) is what
// GET /api/at-risk answers for that unit.

let fixture: FixtureMonitor;
let browser: TestBrowser;
let page: Page;
let errors: string[];
let close: (() => Promise<void>) | undefined;

const UNIT = 'H29.105';
const HOUR = 3_600_000;

interface Answer {
  total: number;
  page: number;
  counts: Record<string, number>;
  units: { agency: string; counts: Record<string, number> }[];
  rows: { dossier_code: string; state: string; working_days_left: number | null }[];
}

async function api(query: string): Promise<Answer> {
  const res = await fetch(`${fixture.base}/api/at-risk?${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Answer;
}

const loaded = (key: string) => page.locator(`body[data-risk-loaded="${key}"]`).waitFor();

/** What the page shows, read from the attributes its script writes next to the text. */
async function shown() {
  const counts = Object.fromEntries(
    await page
      .getByTestId('risk-count')
      .evaluateAll((all) =>
        all.map((c) => [c.getAttribute('data-state'), Number(c.getAttribute('data-count'))]),
      ),
  );
  const units = await page.getByTestId('risk-unit').evaluateAll((rows) =>
    rows.map((r) => ({
      agency: r.getAttribute('data-agency'),
      counts: Object.fromEntries(
        [...r.querySelectorAll('td[data-state]')].map((c) => [
          c.getAttribute('data-state'),
          Number(c.getAttribute('data-count')),
        ]),
      ),
    })),
  );
  const rows = await page.getByTestId('risk-table-row').evaluateAll((all) =>
    all.map((r) => ({
      dossier_code: r.getAttribute('data-dossier'),
      state: r.getAttribute('data-state'),
      working_days_left:
        r.getAttribute('data-days-left') === '' ? null : Number(r.getAttribute('data-days-left')),
    })),
  );
  const pageNumber = Number(await page.getByTestId('risk-page').getAttribute('data-page'));
  return { counts, units, rows, page: pageNumber };
}

async function expectPageMatches(query: string) {
  const [answer, seen] = [await api(query), await shown()];
  expect(seen.counts).toEqual(answer.counts);
  const byCode = (a: { agency: string | null }, b: { agency: string | null }) =>
    (a.agency ?? '').localeCompare(b.agency ?? '');
  expect([...seen.units].sort(byCode)).toEqual([...answer.units].sort(byCode));
  expect(seen.rows).toEqual(
    answer.rows.map((r) => ({
      dossier_code: r.dossier_code,
      state: r.state,
      working_days_left: r.working_days_left,
    })),
  );
  expect(seen.page).toBe(answer.page);
  return answer;
}

interface Scored {
  score: number;
}
interface Outlook {
  atStake: number;
  projectedOnTime: number;
  progress: { now: Scored; ifMissed: Scored; projected: Scored } | null;
  dossierSatisfaction: { now: Scored; ifMissed: Scored; projected: Scored } | null;
  total: { now: number; ifMissed: number; projected: number } | null;
}

/** The outlook section shows GET /api/at-risk/outlook for the unit and the current month. */
async function expectOutlookMatches(unit: string) {
  await page.locator(`body[data-outlook-loaded="${unit}:month"]`).waitFor();
  const res = await fetch(`${fixture.base}/api/at-risk/outlook?agency=${unit}&period_kind=month`);
  expect(res.status).toBe(200);
  const outlook = (await res.json()) as Outlook;
  const expected: Record<string, number[]> = {};
  for (const [kpi, c] of [
    ['index766.progress', outlook.progress],
    ['index766.satisfaction.dossier_satisfaction', outlook.dossierSatisfaction],
  ] as const)
    if (c) expected[kpi] = [c.now.score, c.ifMissed.score, c.projected.score];
  if (outlook.total)
    expected['index766.total'] = [outlook.total.now, outlook.total.ifMissed, outlook.total.projected];
  expect(Object.keys(expected).length).toBeGreaterThan(0);
  const seen = await page
    .getByTestId('risk-outlook-row')
    .evaluateAll((rows) =>
      Object.fromEntries(
        rows.map((r) => [
          r.getAttribute('data-kpi'),
          ['data-now', 'data-if-missed', 'data-projected'].map((a) => Number(r.getAttribute(a))),
        ]),
      ),
    );
  expect(seen).toEqual(expected);
  const stake = page.getByTestId('risk-outlook-stake');
  expect(Number(await stake.getAttribute('data-at-stake'))).toBe(outlook.atStake);
  expect(Number(await stake.getAttribute('data-projected-on-time'))).toBe(outlook.projectedOnTime);
}

beforeAll(async () => {
  ({ fixture, browser, page, errors, close } = await openFixtureInBrowser());
  const ch = fixture.store.clickhouse;
  // A ward under the district and a team under the ward: the district's page rolls both up.
  await seedAtRiskAgencies(ch, [
    { agency_code: 'H29.105.26740', parent_code: UNIT, admin_level: 'commune' },
    { agency_code: 'H29.105.26740.01', parent_code: 'H29.105.26740', admin_level: 'commune' },
  ]);
  const now = Date.now();
  const pad = (i: number) => String(i).padStart(2, '0');
  await seedOpenFacts(ch, [
    ...Array.from({ length: 10 }, (_, i) => openFacts(now, `OVERDUE-${pad(i)}`, UNIT, -(i + 1) * DAY)),
    ...Array.from({ length: 20 }, (_, i) =>
      openFacts(now, `SOON-${pad(i)}`, 'H29.105.26740', 6 * HOUR + i * 60_000),
    ),
    ...Array.from({ length: 5 }, (_, i) =>
      openFacts(now, `WAIT-${pad(i)}`, 'H29.105.26740', (10 + i) * DAY, {
        supplement_requested_at: [formatUtc(now - DAY)],
      }),
    ),
    ...Array.from({ length: 30 }, (_, i) =>
      openFacts(now, `TRACK-${pad(i)}`, 'H29.105.26740.01', (30 + i) * DAY),
    ),
    ...Array.from({ length: 3 }, (_, i) => openFacts(now, `NODUE-${pad(i)}`, 'H29.105.26740.01', null)),
    ...Array.from({ length: 4 }, (_, i) => openFacts(now, `OTHER-${pad(i)}`, 'H29.01', -DAY)),
  ]);
});

afterAll(() => close?.());

describe('at-risk page in Chromium', () => {
  it("opens from the unit's 766 scorecard row and shows what the API answers for the unit", async () => {
    await page.goto(fixture.base);
    await page.locator('body[data-scorecard-loaded]').waitFor();
    await page
      .locator(`[data-testid="scorecard-unit"][data-scope="agency:${UNIT}"]`)
      .getByTestId('scorecard-at-risk')
      .click();
    await loaded(`${UNIT}::2:1`);
    expect(new URL(page.url()).pathname).toBe('/at-risk');
    const answer = await expectPageMatches(`agency=${UNIT}&pageSize=50`);
    // Every state is there, the outside unit's dossiers are not, and the list runs over two pages.
    expect(answer.total).toBe(68);
    for (const n of Object.values(answer.counts)) expect(n).toBeGreaterThan(0);
    expect(answer.units.map((u) => u.agency).sort()).toEqual([UNIT, 'H29.105.26740', 'H29.105.26740.01']);
    expect(answer.rows.some((r) => r.dossier_code.startsWith('OTHER-'))).toBe(false);
    expect(await page.getByTestId('risk-unit-name').textContent()).toBe('UBND Quận 1');
    expect(await page.getByTestId('risk-count').first().textContent()).toContain('Đã quá hạn');
    await expectOutlookMatches(UNIT);
    await page.screenshot({ path: join(TEST_OUTPUT, 'at-risk-vi.png'), fullPage: true });

    await page.getByTestId('risk-next').click();
    await loaded(`${UNIT}::2:2`);
    const second = await expectPageMatches(`agency=${UNIT}&pageSize=50&page=2`);
    expect(second.rows).toHaveLength(18);
  });

  it('filters by state and another horizon as the API does', async () => {
    await page.getByTestId('risk-state').selectOption('overdue');
    await loaded(`${UNIT}:overdue:2:1`);
    const overdue = await expectPageMatches(`agency=${UNIT}&state=overdue&pageSize=50`);
    expect(overdue.rows.map((r) => r.dossier_code)).toHaveLength(10);
    await page.getByTestId('risk-state').selectOption('due_soon');
    await page.getByTestId('risk-horizon').fill('60');
    await page.getByTestId('risk-horizon').dispatchEvent('change');
    await loaded(`${UNIT}:due_soon:60:1`);
    await expectPageMatches(`agency=${UNIT}&state=due_soon&horizon=60&pageSize=50`);
  });

  it("opens a sub-unit's page from the units table, and reads in English", async () => {
    await page.goto(`${fixture.base}/at-risk?agency=${UNIT}&lang=en`);
    await loaded(`${UNIT}::2:1`);
    expect(await page.locator('h1').textContent()).toBe('Dossiers at risk of running late');
    expect(await page.getByTestId('risk-count').first().textContent()).toContain('Overdue');
    await page
      .locator('[data-testid="risk-unit"][data-agency="H29.105.26740"]')
      .getByTestId('risk-unit-link')
      .click();
    await loaded('H29.105.26740::2:1');
    await expectPageMatches('agency=H29.105.26740&pageSize=50');
    expect(new URL(page.url()).searchParams.get('lang')).toBe('en');
    await page.screenshot({ path: join(TEST_OUTPUT, 'at-risk-en.png'), fullPage: true });
  });

  it('made no request beyond the server and raised no script error', () => {
    expect(browser.outside).toEqual([]);
    expect(errors).toEqual([]);
  });
});
