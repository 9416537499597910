import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const JUDGE = fileURLToPath(new URL('./judge.ts', import.meta.url));

/** What a stopped run stored, judged at the suite's instant (see judge.ts). */
export interface Judged {
  /** The judge's own KPI cycle: `skipped` would mean a dead claim was not recognised. */
  cycle: { mode: string; skippedReason?: string };
  /** verifyKpiState: the incremental KPI state equals a recomputation from the stored facts. */
  exact: boolean;
  events: number;
  /** dossier code → hash of its stored state (ingestion times left out). */
  dossiers: Map<string, string>;
  /** kpi|scope_kind|scope_code|period_kind|period_start → numerator/denominator|target|score. */
  kpis: Map<string, string>;
  /** table name → engine and definition, and each recorded migration, as the run's last start left them. */
  schema: Map<string, string>;
}

export async function judge(dataDir: string, judgeAt: string, clickhouseUrl?: string): Promise<Judged> {
  const out = join(dataDir, 'judged.json');
  // A run on a ClickHouse server has no data directory of its own: the judgement still goes there.
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', JUDGE, clickhouseUrl ?? `chdb:${join(dataDir, 'clickhouse')}`, judgeAt, out],
    {
      cwd: REPO,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`judge of ${dataDir} failed (${code}): ${stderr}`);
  const raw = JSON.parse(readFileSync(out, 'utf8')) as {
    cycle: Judged['cycle'];
    exact: boolean;
    events: number;
    dossiers: [string, string][];
    kpis: [string, string][];
    schema: [string, string][];
  };
  return {
    ...raw,
    dossiers: new Map(raw.dossiers),
    kpis: new Map(raw.kpis),
    schema: new Map(raw.schema),
  };
}

/** The counts of a ScenarioReport from a judged run and the uninterrupted one on the same input. */
export function compareJudged(judged: Judged, reference: Judged, sent: ReadonlySet<string>) {
  let lost = 0;
  let doubleCounted = 0;
  for (const [code, hash] of reference.dossiers) {
    const stored = judged.dossiers.get(code);
    if (stored === undefined) lost += 1;
    else if (stored !== hash) doubleCounted += 1;
  }
  // Sent but stored by neither run is lost too: the uninterrupted run is no excuse.
  for (const code of sent) if (!reference.dossiers.has(code) && !judged.dossiers.has(code)) lost += 1;
  let kpiValuesDiffering = 0;
  const samples: string[] = [];
  const differ = (key: string) => {
    kpiValuesDiffering += 1;
    if (samples.length < 5)
      samples.push(`${key}: ${judged.kpis.get(key) ?? '-'} instead of ${reference.kpis.get(key) ?? '-'}`);
  };
  for (const [key, value] of reference.kpis) if (judged.kpis.get(key) !== value) differ(key);
  for (const key of judged.kpis.keys()) if (!reference.kpis.has(key)) differ(key);
  const schemaDifferences: string[] = [];
  for (const [name, definition] of reference.schema)
    if (judged.schema.get(name) !== definition)
      schemaDifferences.push(`${name}: ${judged.schema.has(name) ? 'defined differently' : 'missing'}`);
  for (const name of judged.schema.keys())
    if (!reference.schema.has(name)) schemaDifferences.push(`${name}: not in the uninterrupted run's schema`);
  return {
    dossiersSent: sent.size,
    dossiersStored: judged.dossiers.size,
    lost,
    doubleCounted,
    kpiValuesDiffering: kpiValuesDiffering + (judged.exact ? 0 : 1),
    /** A few differing KPI rows, to start an investigation from. */
    kpiSamples: judged.exact
      ? samples
      : ['the incremental KPI state differs from its recomputation', ...samples],
    /** Tables or recorded migrations that differ from the uninterrupted run's (a start-up left half done). */
    schemaDifferences,
  };
}
