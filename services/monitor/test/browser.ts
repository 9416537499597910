import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type FixtureMonitor, startFixtureMonitor } from './fixture-monitor.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const TEST_OUTPUT = fileURLToPath(new URL('../../../test-output/', import.meta.url));

export interface TestBrowser {
  context: BrowserContext;
  /** Requests the page tried to make to anywhere but the server under test (all blocked). */
  outside: string[];
  close(): Promise<void>;
}

/**
 * Debian's Chromium in a fresh profile, quiet (no sync, updates or background traffic), allowed to
 * reach only `origin`: a dashboard that needs a CDN fails here as it would on an isolated network.
 */
export async function openBrowser(origin: string): Promise<TestBrowser> {
  await mkdir(TEST_OUTPUT, { recursive: true });
  const profile = await mkdtemp(join(tmpdir(), 'monitor-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const outside: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin)) return route.continue();
    outside.push(url);
    return route.abort();
  });
  return {
    context,
    outside,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export interface FixtureInBrowser {
  fixture: FixtureMonitor;
  browser: TestBrowser;
  page: Page;
  /** The page's uncaught errors and console errors: a test of a working page expects none. */
  errors: string[];
  close(): Promise<void>;
}

/** The fixture monitor (fixture-monitor.ts) and one page in a browser that may reach only it. */
export async function openFixtureInBrowser(
  env: Parameters<typeof startFixtureMonitor>[0] = {},
): Promise<FixtureInBrowser> {
  const fixture = await startFixtureMonitor(env);
  const browser = await openBrowser(fixture.base).catch(async (err) => {
    await fixture.stop();
    throw err;
  });
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  return {
    fixture,
    browser,
    page,
    errors,
    async close() {
      await browser.close();
      await fixture.stop();
    },
  };
}
