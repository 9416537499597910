// `npm run bench [-- --only ingest,freshness,memory,aggregate,at-risk (any of them)] [--events N]
//   [--ingest-order PIIP] [--dossiers N] [--load-dossiers N] [--fresh-seconds S] [--backlog N]
//   [--backlog-seconds S] [--backlog-topic T] [--verify] [--history-dir D] [--work-dir W] [--now T]
//   [--risk-dossiers N] [--risk-runs N]`
// Each benchmark runs in its own process: embedded ClickHouse (chDB) allows one data directory per process,
// and a fresh process keeps one benchmark's memory figures free of the other's.
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    events: { type: 'string' },
    // Ingest: the peer's (P) and the ingestor's (I) rounds, in pairs of one each, alternating.
    'ingest-order': { type: 'string' },
    dossiers: { type: 'string' },
    // Freshness under load: the history the KPI cycles and the analyst read, and the measured seconds.
    'load-dossiers': { type: 'string' },
    'fresh-seconds': { type: 'string' },
    // The distributed ingestor's memory: messages waiting in Kafka, and the longest the run may take.
    backlog: { type: 'string' },
    'backlog-seconds': { type: 'string' },
    // A backlog topic kept between runs (produced once, read by a fresh group each run).
    'backlog-topic': { type: 'string' },
    // Aggregate: recompute every cell from the facts at the end and count those the increments got wrong.
    verify: { type: 'boolean', default: false },
    // Aggregate: a stored history replayed on a copy at a fixed instant (aggregate-replay.ts).
    'history-dir': { type: 'string' },
    'work-dir': { type: 'string' },
    now: { type: 'string' },
    // At-risk: the history behind the list (5% never finish) and the timed reads of one unit's list.
    'risk-dossiers': { type: 'string' },
    'risk-runs': { type: 'string' },
  },
});

interface Bench {
  name: 'ingest' | 'freshness' | 'memory' | 'aggregate' | 'at-risk';
  args: string[];
  env: Record<string, string>;
}

const benches: Bench[] = [
  {
    name: 'ingest',
    args: ['bench/ingest.bench.ts'],
    env: {
      ...(values.events ? { BENCH_EVENTS: values.events } : {}),
      ...(values['ingest-order'] ? { BENCH_INGEST_ORDER: values['ingest-order'] } : {}),
    },
  },
  {
    name: 'freshness',
    args: [
      'bench/freshness-load.bench.ts',
      '--dossiers',
      values['load-dossiers'] ?? '1000000',
      '--seconds',
      values['fresh-seconds'] ?? '30',
    ],
    env: {},
  },
  {
    name: 'memory',
    args: [
      'bench/ingestor-memory.bench.ts',
      '--backlog',
      values.backlog ?? '10000000',
      '--seconds',
      values['backlog-seconds'] ?? '1800',
      ...(values['backlog-topic'] ? ['--backlog-topic', values['backlog-topic']] : []),
    ],
    env: {},
  },
  {
    name: 'aggregate',
    args: [
      'bench/aggregate.bench.ts',
      values.dossiers ?? '10000000',
      ...(values.verify ? ['--verify'] : []),
      ...(['history-dir', 'work-dir', 'now'] as const).flatMap((k) =>
        values[k] ? [`--${k}`, values[k]] : [],
      ),
    ],
    env: {},
  },
  {
    name: 'at-risk',
    args: [
      'bench/at-risk.bench.ts',
      values['risk-dossiers'] ?? '10000000',
      '--runs',
      values['risk-runs'] ?? '20',
    ],
    env: {},
  },
];

const results: Record<string, unknown> = {};
let failed = false;
const only = values.only?.split(',').map((name) => name.trim());
for (const bench of benches.filter((b) => !only || only.includes(b.name))) {
  console.error(`[bench] ${bench.name} …`);
  try {
    results[bench.name] = await runJson(bench);
  } catch (err) {
    failed = true;
    console.error(`[bench] ${bench.name} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
await mkdir('test-output', { recursive: true });
await writeFile('test-output/bench.json', `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
process.exitCode = failed ? 1 : 0;

function runJson(bench: Bench): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', ...bench.args], {
      env: { ...process.env, ...bench.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`exit code ${code}`));
      // The benchmark prints progress lines first and its JSON result last.
      const start = out.lastIndexOf('\n{');
      try {
        resolve(JSON.parse(start >= 0 ? out.slice(start + 1) : out));
      } catch {
        reject(new Error('no JSON result on stdout'));
      }
    });
  });
}
