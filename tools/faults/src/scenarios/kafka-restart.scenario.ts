import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from '../../../../test/support/free-port.ts';
import { KAFKA_SCRIPT } from '../../../../test/support/start-kafka.ts';
import type { FaultScenario } from '../scenario.ts';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The Kafka broker SIGKILLed mid-stream and started again on the same data directory and ports, while
 * the all-in-one ingests: its consumer and producers reconnect, nothing is lost or counted twice. The
 * scenario runs a broker of its own (the suite's may be shared), holding the suite's input.
 */
export const kafkaRestart: FaultScenario = {
  name: 'kafka-restart',
  description: 'Kafka broker SIGKILLed mid-stream and restarted',
  iterations: { short: 1, long: 5 },
  async run(context) {
    const dataDir = join(context.workDir, 'kafka');
    const [port, controllerPort] = await freePorts(2);
    const args = [
      ...['--port', String(port), '--controller-port', String(controllerPort)],
      ...['--data-dir', dataDir, '--owner-pid', String(process.pid)],
    ];
    const env = { ...process.env, KAFKA_JAVA_OPTS: process.env.KAFKA_JAVA_OPTS ?? '-XX:TieredStopAtLevel=1' };
    await run(KAFKA_SCRIPT, ['start', ...args], { timeout: 120_000, env });
    const brokers = [`127.0.0.1:${port}`];
    try {
      await context.produce(context.input.topics, context.input.messages, brokers);
      const pipeline = await context.newRun('kafka-restart', { brokers });
      const allInOne = await pipeline.start();
      let faults = 0;
      await allInOne.waitForLine((l) => l.msg === 'ingestor started');
      for (let i = 0; i < context.iterations; i++) {
        await sleep(context.rng.uniform(0, 1_500));
        const pid = Number(readFileSync(join(dataDir, 'kafka.pid'), 'utf8'));
        process.kill(pid, 'SIGKILL');
        faults += 1;
        const down = context.rng.uniform(1_000, 5_000);
        context.log(`broker killed ${i + 1}, down ${(down / 1000).toFixed(1)} s`);
        await sleep(down);
        await run(KAFKA_SCRIPT, ['start', ...args], { timeout: 120_000, env });
      }
      await pipeline.settle(allInOne);
      const { kpiSamples, schemaDifferences, ...counts } = await context.compare(await pipeline.judge());
      return {
        faultsInjected: faults,
        ...counts,
        problems: [...kpiSamples.map((s) => `KPI ${s}`), ...schemaDifferences.map((s) => `schema ${s}`)],
      };
    } finally {
      await run(KAFKA_SCRIPT, ['stop', '--data-dir', dataDir], { timeout: 60_000 }).catch(() => {});
    }
  },
};
