// The operator's way through a browser: Bull Board without signing in has no action buttons; signed in
// on the login page, pausing and resuming the KPI queue works and both show in the dashboard's audit list.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, TEST_OUTPUT, type TestBrowser } from './browser.ts';
import { FIXTURE_QUEUE, type FixtureMonitor, startFixtureMonitor } from './fixture-monitor.ts';
import { waitFor } from './running-pipeline.ts';

const TOKEN = 'e2e-admin-token-0123456789abcdef';
const BOARD = `/queues/queue/${FIXTURE_QUEUE}`;
// Bull Board's queue menu (pause, empty, …) and its per-status "Clean all"/"Promote all" and per-job buttons.
const QUEUE_MENU = 'button[class*="trigger-"]';

let fixture: FixtureMonitor;
let browser: TestBrowser;
let page: Page;
const errors: string[] = [];

async function openBoard(path = BOARD) {
  await page.goto(`${fixture.base}${path}`);
  await page.getByText(FIXTURE_QUEUE).first().waitFor();
  // The board draws its buttons once /api/queues answered: the job list is drawn from the same answer.
  await page.getByText('kpi-cycle').first().waitFor();
}

async function queueAction(name: 'Pause' | 'Resume') {
  await page.locator(QUEUE_MENU).click();
  await page.getByRole('menuitem', { name }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();
}

beforeAll(async () => {
  fixture = await startFixtureMonitor({ MONITOR_ADMIN_TOKEN: TOKEN });
  browser = await openBrowser(fixture.base);
  page = await browser.context.newPage();
  page.on('pageerror', (err) => errors.push(err.message));
});

afterAll(async () => {
  await browser?.close();
  await fixture?.stop();
});

describe('operator actions in Chromium', () => {
  it('shows Bull Board without any action button before signing in', async () => {
    await openBoard();
    expect(await page.locator(QUEUE_MENU).count()).toBe(0);
    await openBoard(`${BOARD}?status=delayed`);
    for (const name of ['Clean all', 'Promote all', 'Promote', 'Clean', 'Retry'])
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    await page.screenshot({ path: join(TEST_OUTPUT, 'bull-board-read-only.png'), fullPage: true });
    // The dashboard offers to sign in and lists no action yet.
    await page.goto(fixture.base);
    await page.getByTestId('login-link').waitFor();
    await page.getByTestId('operator-actions').getByText('Chưa có thao tác nào').waitFor();
  });

  it('signs in on the login page and returns to the board, now with its buttons', async () => {
    await page.goto(`${fixture.base}/login?next=${encodeURIComponent(`${BOARD}?status=delayed`)}`);
    expect(await page.locator('h1').textContent()).toBe('Đăng nhập vận hành');
    await page.getByTestId('login-token').fill('not-the-token-0123456789');
    await page.getByTestId('login-submit').click();
    expect(await page.getByTestId('login-error').textContent()).toBe('Mã không đúng.');
    await page.screenshot({ path: join(TEST_OUTPUT, 'login-vi.png') });
    await page.getByTestId('login-token').fill(TOKEN);
    await page.getByTestId('login-submit').click();
    await page.getByText(FIXTURE_QUEUE).first().waitFor();
    expect(new URL(page.url()).pathname).toBe(BOARD);
    await page.getByRole('button', { name: 'Promote all' }).waitFor();
    await page.locator(QUEUE_MENU).waitFor();
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'monitor_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false });
    expect(cookie?.expires).toBeGreaterThan(Date.now() / 1000);
  });

  it('pauses and resumes the KPI queue from Bull Board, and the dashboard lists both actions', async () => {
    await openBoard();
    await queueAction('Pause');
    await waitFor(() => fixture.queue.isPaused());
    await page.screenshot({ path: join(TEST_OUTPUT, 'bull-board-paused.png'), fullPage: true });
    await queueAction('Resume');
    await waitFor(async () => !(await fixture.queue.isPaused()));

    await page.goto(`${fixture.base}/?lang=en`);
    await page.getByTestId('session-credential').waitFor();
    expect(await page.getByTestId('session-credential').textContent()).toBe('admin');
    const rows = page.getByTestId('actions-table-row');
    await rows.nth(1).waitFor();
    expect(await rows.count()).toBe(2);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-action')))).toEqual([
      'queue.resume',
      'queue.pause',
    ]);
    for (const row of await rows.all()) {
      expect(await row.locator('[data-col="target"]').textContent()).toBe(FIXTURE_QUEUE);
      expect(await row.locator('[data-col="credentialId"]').textContent()).toBe('admin');
      expect(await row.locator('[data-col="remoteAddress"]').textContent()).toBe('127.0.0.1');
      expect(await row.locator('[data-outcome]').getAttribute('data-outcome')).toBe('ok');
    }
    await page.getByTestId('operator-actions').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(TEST_OUTPUT, 'dashboard-operator-actions.png'), fullPage: true });
  });

  it('signs out from the dashboard, after which the board is read-only again', async () => {
    await page.getByTestId('logout').click();
    await page.getByTestId('login-form').waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.locator('h1').textContent()).toBe('Operator sign-in');
    await openBoard();
    expect(await page.locator(QUEUE_MENU).count()).toBe(0);
  });

  it('made no request beyond the server and raised no script error', () => {
    expect(browser.outside).toEqual([]);
    expect(errors).toEqual([]);
  });
});
