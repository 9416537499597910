import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { freePorts } from '../../../../test/support/free-port.ts';
import type { FaultScenario } from '../scenario.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A redis-server of the scenario's own (never the shared one), persisting every write (AOF, fsync always). */
async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
      ...['--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--maxmemory-policy', 'noeviction'],
    ],
    { stdio: 'ignore' },
  );
  const probe = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // Refused connections while it starts are expected: connect() reports them.
  probe.on('error', () => {});
  try {
    for (let i = 0; i < 100; i++) {
      if (
        await probe.connect().then(
          () => probe.ping(),
          () => undefined,
        )
      )
        return child;
      await sleep(100);
    }
  } finally {
    probe.disconnect();
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer on port ${port}`);
}

/**
 * The aggregator's Redis SIGKILLed and restarted from its append-only file while the all-in-one works:
 * the job scheduler and queued jobs survive, KPI cycles go on after it, no generation is claimed by two
 * runs and no run stands aside. Uses a redis-server of its own on a free port.
 */
export const redisRestart: FaultScenario = {
  name: 'redis-restart',
  description: "the aggregator's Redis SIGKILLed and restarted (append-only file)",
  iterations: { short: 1, long: 5 },
  async run(context) {
    const dir = join(context.workDir, 'redis');
    await mkdir(dir, { recursive: true });
    const [port = 0, analystsPort = 0] = await freePorts(2);
    let redis = await startRedis(port, dir);
    const url = `redis://127.0.0.1:${port}`;
    const problems: string[] = [];
    try {
      const pipeline = await context.newRun('redis-restart');
      const prefix = `faults:${context.uniqueName('redis-restart')}`;
      const allInOne = await pipeline.start({
        REDIS_URL: url,
        AGGREGATOR_PREFIX: prefix,
        ANALYSTS_PORT: String(analystsPort),
      });
      let faults = 0;
      await allInOne.waitForLine((l) => l.msg === 'kpi cycle done');
      for (let i = 0; i < context.iterations; i++) {
        await sleep(context.rng.uniform(0, 4_000));
        redis.kill('SIGKILL');
        await new Promise((r) => redis.once('exit', r));
        faults += 1;
        await sleep(context.rng.uniform(500, 3_000));
        redis = await startRedis(port, dir);
        const from = allInOne.lines.length;
        // KPI cycles go on: the scheduler came back from the append-only file.
        await allInOne.waitForLine((l) => l.msg === 'kpi cycle done', from);
        context.log(`redis killed and restarted ${i + 1}`);
      }
      const queue = new Queue('kpi-aggregator', { connection: { url }, prefix });
      try {
        const schedulers = (await queue.getJobSchedulers(0, -1)).map((s) => s.id ?? s.key);
        if (!schedulers.includes('recompute-kpis'))
          problems.push(`job schedulers after restart: ${schedulers}`);
      } finally {
        await queue.close();
      }
      const doubleClaims = await fetch(
        `http://127.0.0.1:${analystsPort}/?query=${encodeURIComponent(
          "SELECT count() FROM (SELECT gen FROM kpi_cycles_v1 WHERE state = 'staged' GROUP BY gen HAVING uniqExact(run_id) > 1) FORMAT TSV",
        )}`,
      ).then((r) => r.text());
      if (doubleClaims.trim() !== '0')
        problems.push(`generations claimed by two runs: ${doubleClaims.trim()}`);
      const skipped = allInOne.lines.filter((l) => l.msg === 'kpi job skipped').length;
      if (skipped > 0) problems.push(`${skipped} KPI run(s) stood aside`);
      await pipeline.settle(allInOne);
      const { kpiSamples, schemaDifferences, ...counts } = await context.compare(await pipeline.judge());
      return {
        faultsInjected: faults,
        ...counts,
        details: { 'KPI cycles': allInOne.lines.filter((l) => l.msg === 'kpi cycle done').length },
        problems: [
          ...problems,
          ...kpiSamples.map((s) => `KPI ${s}`),
          ...schemaDifferences.map((s) => `schema ${s}`),
        ],
      };
    } finally {
      redis.kill('SIGKILL');
    }
  },
};
