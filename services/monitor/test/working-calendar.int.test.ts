import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWorkingCalendar } from '@dossier/kpi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CalendarCliError, runCalendarLoadCli } from '../src/working-calendar/load-cli.ts';
import { type FixtureMonitor, startFixtureMonitor } from './fixture-monitor.ts';

const TOKEN = 'calendar-admin-token-0123456789abcdef';

let fixture: FixtureMonitor;
let dir: string;
beforeAll(async () => {
  fixture = await startFixtureMonitor({ MONITOR_ADMIN_TOKEN: TOKEN });
  dir = await mkdtemp(join(tmpdir(), 'calendar-load-'));
});
afterAll(async () => {
  await fixture?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function cli(csv: string, ...flags: string[]) {
  const file = join(dir, `calendar-${Math.random().toString(36).slice(2)}.csv`);
  await writeFile(file, csv);
  const lines: string[] = [];
  const env = { MONITOR_URL: fixture.base, MONITOR_ADMIN_TOKEN: TOKEN, DATA_DIR: dir };
  const status = await runCalendarLoadCli([...flags, file], env, (l) => lines.push(l));
  return { status, lines, file };
}

const storedRows = async () => {
  const result = await fixture.store.clickhouse.query({
    query: 'SELECT count() AS n FROM working_calendar_v1',
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string }>())[0]?.n);
};

const GOOD = [
  'date,kind,name,source',
  '2028-01-03,holiday,Tết Dương lịch (test),test announcement',
  '2028-01-08,working_day,"Saturday worked, test",test announcement',
].join('\n');

describe('loading the working calendar through the monitor', () => {
  it('refuses a request without an operator credential and stores nothing', async () => {
    const before = await storedRows();
    const res = await fetch(`${fixture.base}/api/working-calendar`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ csv: GOOD }),
    });
    expect(res.status).toBe(401);
    expect(await storedRows()).toBe(before);
  });

  it('rejects a file with a bad line as a whole: every bad line with its reason, nothing stored', async () => {
    const before = await storedRows();
    const { status, lines, file } = await cli(
      `${GOOD}\n2028-01-01,holiday,A Saturday,x\n2028-13-01,holiday,No such month,x\n`,
    );
    expect(status).toBe(1);
    expect(lines[0]).toBe(
      `${file}:4: rejected: date: 2028-01-01 is a Saturday, already a day off: list only the weekdays taken off`,
    );
    expect(lines[1]).toMatch(new RegExp(`^${file}:5: rejected: date: '2028-13-01' is not a calendar date`));
    expect(lines[2]).toMatch(/2 of 4 lines rejected; nothing was loaded/);
    expect(await storedRows()).toBe(before);
    expect((await readWorkingCalendar(fixture.store.clickhouse)).years.has(2028)).toBe(false);
  });

  it('a dry run validates and stores nothing', async () => {
    const before = await storedRows();
    const { status, lines } = await cli(GOOD, '--dry-run');
    expect(status).toBe(0);
    expect(lines[0]).toMatch(
      /2 lines, years 2028: 1 days off, 1 weekend days worked; dry run, nothing stored/,
    );
    expect(await storedRows()).toBe(before);
  });

  it('refuses a file whose header is wrong with exit status 2', async () => {
    await expect(cli('day,kind\n2028-01-03,holiday')).rejects.toThrow(CalendarCliError);
    await expect(cli('day,kind\n2028-01-03,holiday')).rejects.toThrow(/header must be date,kind,name,source/);
  });

  it('stores a good file whole; a later load of a year replaces that year and leaves the others', async () => {
    const first = await cli(GOOD);
    expect(first.status).toBe(0);
    expect(first.lines[0]).toMatch(/stored 2; load /);
    let calendar = await readWorkingCalendar(fixture.store.clickhouse);
    expect(calendar.years.has(2028)).toBe(true);
    expect(calendar.holidays).toContain('2028-01-03');
    expect(calendar.workingWeekends).toContain('2028-01-08');
    expect(calendar.holidays).toContain('2026-09-02'); // the shipped 2026 is untouched

    // A correction of 2028: 8 January was not worked after all, 4 January is off.
    const correction = [
      'date,kind,name,source',
      '2028-01-03,holiday,Tết Dương lịch,fixed',
      '2028-01-04,holiday,Exchanged,fixed',
    ];
    expect((await cli(correction.join('\n'))).status).toBe(0);
    calendar = await readWorkingCalendar(fixture.store.clickhouse);
    expect(calendar.holidays.filter((d) => d.startsWith('2028-'))).toEqual(['2028-01-03', '2028-01-04']);
    expect(calendar.workingWeekends.filter((d) => d.startsWith('2028-'))).toEqual([]);
    expect(calendar.holidays).toContain('2026-09-02');

    const res = await fetch(`${fixture.base}/api/working-calendar`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      years: { year: number }[];
      days: { date: string; source: string }[];
    };
    expect(body.years.map((y) => y.year)).toEqual([2025, 2026, 2027, 2028]);
    expect(body.days.filter((d) => d.date.startsWith('2028-'))).toEqual([
      expect.objectContaining({ date: '2028-01-03', source: 'fixed' }),
      expect.objectContaining({ date: '2028-01-04', source: 'fixed' }),
    ]);
  });
});
