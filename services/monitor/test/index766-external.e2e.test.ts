import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouse, createClickHouse } from '@dossier/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testLogger } from '../../../test/support/test-log.ts';
import { runLoadCli } from '../src/index766/load-cli.ts';
import { type RunningPipeline, startRunningPipeline, waitFor } from './running-pipeline.ts';

const TOKEN = 'index766-load-test-token-0123456789';
const HEADER = 'scope_kind,scope_code,period_kind,period_start,figure,dossier_code,numerator,denominator';
const GOOD = [
  'city,,month,2026-11-01,index766.transparency.published_on_time,,3,4',
  'agency,H29.105,month,2026-11-01,index766.transparency.full_content,,10,12',
  'agency,H29.105,quarter,2026-10-01,national_reporting.received,,1532,0',
  'agency,H29.105,month,2026-11-01,petitions.dossier,H29.105-261104-0012,1,0',
];
const BAD = 'agency,H29.105,month,2026-11-15,index766.transparency.publicised_on_time,,3,4';

let pipeline: RunningPipeline;
let analysts: ClickHouse;
let dir: string;

async function rows(query: string): Promise<Record<string, unknown>[]> {
  const result = await analysts.query({ query, format: 'JSONEachRow' });
  return result.json<Record<string, unknown>>();
}

const effective = () =>
  rows(`SELECT scope_kind, scope_code, period_kind, toString(period_start) AS period_start, figure, dossier_code,
      toUInt32(numerator) AS numerator, toUInt32(denominator) AS denominator, source, load_id, csv_line
    FROM index766_external_latest_v1 ORDER BY figure, scope_kind, period_kind`);
const stored = async () =>
  Number((await rows('SELECT count() AS n FROM index766_external_v1 FINAL'))[0]?.n ?? Number.NaN);

async function load(lines: string[], source = 'DVCQG evaluation API, published 2026-12-03') {
  const file = join(dir, `figures-${Date.now()}.csv`);
  await writeFile(file, `${HEADER}\n${lines.join('\n')}\n`);
  const out: string[] = [];
  const env = {
    MONITOR_URL: pipeline.dashboard,
    MONITOR_ADMIN_TOKEN: TOKEN,
    DATA_DIR: dir,
  };
  const status = await runLoadCli(['--source', source, file], env, (line) => out.push(line));
  return { status, out, file };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'index766-load-'));
  pipeline = await startRunningPipeline({ MONITOR_ADMIN_TOKEN: TOKEN });
  analysts = await createClickHouse({
    url: pipeline.analysts,
    application: 'index766-load-test',
    logger: testLogger('clickhouse'),
  });
}, 300_000);

afterAll(async () => {
  await analysts?.close();
  await pipeline?.stop();
  await rm(dir, { recursive: true, force: true });
}, 120_000);

describe('npm run index766:load through the running all-in-one', () => {
  it('refuses a load without the operator credential', async () => {
    const res = await fetch(`${pipeline.dashboard}/api/index766/external`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'x', csv: `${HEADER}\n${GOOD[0]}\n` }),
    });
    expect(res.status).toBe(401);
  });

  it('stores the good lines with source and load, and rejects the bad one with its line and reason', async () => {
    const first = await load([...GOOD.slice(0, 2), BAD, ...GOOD.slice(2)]);
    expect(first.status).toBe(1);
    expect(first.out[0]).toBe(
      `${first.file}:4: rejected: line 4: period_start: expected the first day of a month`,
    );
    expect(first.out[1]).toMatch(/: 5 lines; 4 changed \(stored 4\), 0 unchanged, 1 rejected; load /);
    const figures = await effective();
    expect(
      figures.map((f) => [f.figure, f.scope_code, f.numerator, f.denominator, f.dossier_code, f.csv_line]),
    ).toEqual([
      ['index766.transparency.full_content', 'H29.105', 10, 12, '', 3],
      ['index766.transparency.published_on_time', '', 3, 4, '', 2],
      ['national_reporting.received', 'H29.105', 1532, 0, '', 5],
      ['petitions.dossier', 'H29.105', 1, 0, 'H29.105-261104-0012', 6],
    ]);
    expect(new Set(figures.map((f) => f.source))).toEqual(
      new Set(['DVCQG evaluation API, published 2026-12-03']),
    );
    expect(new Set(figures.map((f) => f.load_id)).size).toBe(1);

    // The ingestor dead-lettered the bad line, sealed, with the line and the reason.
    await waitFor(async () => {
      const res = await fetch(
        `${pipeline.dashboard}/api/dead-letters?topic=${pipeline.topics.index766External}`,
        {
          headers: { authorization: `Bearer ${TOKEN}` },
        },
      );
      const body = (await res.json()) as { letters: { reason_code: string; reason_text: string }[] };
      return body.letters.some(
        (l) =>
          l.reason_code === 'schema' &&
          l.reason_text === 'line 4: period_start: expected the first day of a month',
      );
    });
  });

  it('loads the same file again without storing anything, and a changed figure as a new effective row', async () => {
    const before = await effective();
    const count = await stored();
    const again = await load(GOOD);
    expect(again.status).toBe(0);
    expect(again.out.at(-1)).toMatch(/: 4 lines; 0 changed \(stored 0\), 4 unchanged, 0 rejected; load /);
    expect(await effective()).toEqual(before);
    expect(await stored()).toBe(count);

    const corrected = await load([
      GOOD[0] as string,
      'agency,H29.105,month,2026-11-01,index766.transparency.full_content,,11,12',
    ]);
    expect(corrected.status).toBe(0);
    expect(corrected.out.at(-1)).toMatch(/: 2 lines; 1 changed \(stored 1\), 1 unchanged, 0 rejected/);
    const after = await effective();
    expect(after.find((f) => f.figure === 'index766.transparency.full_content')?.numerator).toBe(11);
    expect(after.find((f) => f.figure === 'index766.transparency.published_on_time')).toEqual(
      before.find((f) => f.figure === 'index766.transparency.published_on_time'),
    );
    expect(await stored()).toBe(count + 1);
  });

  it('refuses a file that gives a figure twice or has an unknown column, loading nothing', async () => {
    const count = await stored();
    await expect(load([GOOD[0] as string, GOOD[0] as string])).rejects.toThrow(
      /line 3 repeats the figure of line 2/,
    );
    const file = join(dir, 'bad-header.csv');
    await writeFile(file, `${HEADER},comment\n${GOOD[0]},x\n`);
    await expect(
      runLoadCli(
        ['--source', 's', file],
        { MONITOR_URL: pipeline.dashboard, MONITOR_ADMIN_TOKEN: TOKEN },
        () => {},
      ),
    ).rejects.toThrow(/answered 400: header: unknown column\(s\) comment/);
    expect(await stored()).toBe(count);
  });
});
