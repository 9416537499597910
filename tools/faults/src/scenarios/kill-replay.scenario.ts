import { REPLAY_CHUNK } from '@dossier/dead-letters';
import { Kafka, logLevel } from 'kafkajs';
import { freePorts } from '../../../../test/support/free-port.ts';
import { type NodeProcess, startNodeProcess } from '../pipeline.ts';
import type { FaultScenario, PipelineRun } from '../scenario.ts';

const REPLAY_MAIN = 'services/ingestor/src/replay.main.ts';
/**
 * The first run's input cap: about a tenth of the canonical events, a third of the DVCQG records and a
 * few catalog rows are over it, dead-lettered as too_large: the letters an operator replays after the fix.
 */
const SMALL_CAP_BYTES = 950;
/**
 * The killed replays' pace (`--rate`): one chunk a second, so that a kill aimed between two chunks lands
 * there; unpaced, the few hundred letters of the short profile went out between two polls of the offsets.
 */
const KILLED_REPLAY_RATE = REPLAY_CHUNK;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `npm run replay-dead-letters -- --reason too_large [flags]` over the run's data directory. */
function replay(run: PipelineRun, env: NodeJS.ProcessEnv, flags: string[] = []): NodeProcess {
  return startNodeProcess(REPLAY_MAIN, { ...run.env, DATA_DIR: run.dataDir, ...env }, [
    '--reason',
    'too_large',
    ...flags,
  ]);
}

async function finished(cli: NodeProcess, what: string): Promise<string> {
  const code = await cli.exited;
  if (code !== 0) throw new Error(`${what} exited with ${code}:\n${cli.output().slice(-3000)}`);
  return cli.output();
}

/** `N dead letter(s) replayed` / `would replay`: the CLI's last line. */
function total(output: string): number {
  const match = /(\d+) dead letter\(s\) (?:replayed|would replay)/.exec(output);
  if (!match) throw new Error(`no total in the replay's output:\n${output.slice(-2000)}`);
  return Number(match[1]);
}

/**
 * SIGKILL during `npm run replay-dead-letters`. A first run ingests the suite's input with an input cap
 * too small for some legitimate messages (dead-lettered as too_large); the cap is then raised and the
 * letters replayed, each iteration killed mid-way (letters seen arriving on the source topics, fewer
 * than all): alternately the replay command replaying on its own (npm start down) and npm start while
 * it replays through its monitor for the command. The replay runs again after each kill and to the end
 * once more; then the stored dossiers and KPI values must equal the uninterrupted run's, and the
 * letters sent twice must be at most one unrecorded chunk per kill (a rerun skips what was recorded).
 */
export const killReplay: FaultScenario = {
  name: 'kill-replay',
  description:
    'SIGKILL of a dead-letter replay mid-way (the command alone, npm start serving it), replay again',
  iterations: { short: 2, long: 8 },
  async run(context) {
    const run = await context.newRun('replay');
    const first = await run.start({ INGEST_MAX_MESSAGE_BYTES: String(SMALL_CAP_BYTES) });
    await run.settle(first);

    const direct = { KAFKA_BROKERS: context.brokers.join(',') };
    const letters = total(await finished(replay(run, direct, ['--dry-run']), 'the dry run'));
    const problems: string[] = [];
    if (letters <= REPLAY_CHUNK)
      problems.push(
        `only ${letters} letters to replay: a kill cannot land between two chunks of ${REPLAY_CHUNK}`,
      );

    const kafka = new Kafka({
      clientId: 'fault-replay',
      brokers: context.brokers,
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const topics = Object.values(context.input.topics);
    const sentSoFar = async () => {
      let sum = 0;
      for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) sum += Number(p.high);
      return sum;
    };
    const before = await sentSoFar();
    const paced = ['--rate', String(KILLED_REPLAY_RATE)];
    let faults = 0;
    let midway = 0;
    const modes = { 'replay command killed': 0, 'npm start killed while replaying': 0 };
    try {
      for (let i = 0; i < context.iterations; i++) {
        const throughMonitor = i % 2 === 1;
        // What is left to replay, as the command sees it (letters resent after a kill are not in it);
        // asked before npm start opens the data directory, and counted from before the replay starts.
        const remaining = total(
          await finished(replay(run, direct, ['--dry-run']), `the dry run before kill ${i + 1}`),
        );
        const at = await sentSoFar();
        let allInOne: NodeProcess | undefined;
        let cli: NodeProcess;
        if (throughMonitor) {
          const [monitorPort] = await freePorts(1);
          allInOne = await run.start({ MONITOR_PORT: String(monitorPort) });
          await allInOne.waitForLine((l) => l.msg === 'all-in-one ready');
          cli = replay(run, { MONITOR_PORT: String(monitorPort), MONITOR_HOST: '127.0.0.1' }, paced);
        } else {
          cli = replay(run, direct, paced);
        }
        // Kill once some chunks of this replay reached Kafka, before the last one did: after chunk k of
        // n, k drawn from 1..n-1 (the next chunk is a second away at the paced rate).
        const chunks = Math.ceil(remaining / REPLAY_CHUNK);
        const target =
          chunks > 1
            ? REPLAY_CHUNK * (1 + Math.floor(context.rng.uniform(0, chunks - 1)))
            : Math.max(remaining, 1);
        let sent = 0;
        while (cli.child.exitCode === null) {
          sent = (await sentSoFar()) - at;
          if (sent >= target) break;
          await sleep(5);
        }
        // Right after a send the chunk is not recorded yet (the worst moment); later, it may be.
        await sleep(context.rng.uniform(0, 150));
        if (throughMonitor) await allInOne?.kill();
        await cli.kill();
        faults += 1;
        const after = (await sentSoFar()) - at;
        if (after > 0 && after < remaining) midway += 1;
        modes[throughMonitor ? 'npm start killed while replaying' : 'replay command killed'] += 1;
        context.log(
          `kill ${i + 1}: ${throughMonitor ? 'npm start serving' : 'the command'}, ${after} of ${remaining} letters sent`,
        );
      }
      const rest = total(await finished(replay(run, direct), 'the last replay'));
      const again = total(await finished(replay(run, direct, ['--dry-run']), 'the dry run after it'));
      if (again !== 0) problems.push(`${again} letters still not replayed after the last replay`);
      const sent = (await sentSoFar()) - before;
      const resent = sent - letters;
      if (resent < 0) problems.push(`${letters} letters to replay, only ${sent} sent back`);
      if (resent > faults * REPLAY_CHUNK)
        problems.push(`${resent} letters sent twice: more than one chunk (${REPLAY_CHUNK}) per kill`);
      if (midway === 0) problems.push('no kill landed while a replay had sent some letters but not all');
      const last = await run.start();
      await run.settle(last);
      const { kpiSamples, schemaDifferences, ...counts } = await context.compare(await run.judge());
      return {
        faultsInjected: faults,
        ...counts,
        details: {
          'letters to replay': letters,
          ...modes,
          'killed mid-way': midway,
          'replayed by the last run': rest,
          'sent twice': resent,
        },
        problems: [
          ...problems,
          ...kpiSamples.map((s) => `KPI ${s}`),
          ...schemaDifferences.map((s) => `schema ${s}`),
        ],
      };
    } finally {
      await admin.disconnect();
    }
  },
};
