// The local broker `npm start` runs goes down with the process that started it, and a run restarted
// right after a SIGKILL gets a broker that stays: the dead run's broker still answers on the port for
// a few seconds while it shuts down, and must not be taken for a live one.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopicsWithLeaders } from '@dossier/observability';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';

/** Two broker starts on a loaded machine (CI runs test files two at a time). */
const TIMEOUT_MS = 300_000;

import { freePorts } from '../../../test/support/free-port.ts';
import { testLogger } from '../../../test/support/test-log.ts';
import { ensureKafka, type LocalService } from '../src/local-stack.ts';

const logger = testLogger('local-kafka-owner');
let dir: string | undefined;
const started: LocalService<string[]>[] = [];
const pids: number[] = [];
afterEach(async () => {
  for (const kafka of started.splice(0)) await kafka.stop();
  for (const pid of pids.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
  delete process.env.KAFKA_STOP_TIMEOUT;
});

/** Running or stopped; a zombie (exited, not yet reaped by whoever adopted it) counts as gone. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

function owner(): ChildProcess & { pid: number } {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  if (child.pid === undefined) throw new Error('no owner process');
  pids.push(child.pid);
  return child as ChildProcess & { pid: number };
}

async function killed(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const brokerPid = (dataDir: string) => Number(readFileSync(join(dataDir, 'kafka.pid'), 'utf8').trim());

async function until(what: string, check: () => boolean, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** npm start's local broker, started for a process of its own (`first`, killed by the test). */
async function brokerOfAnotherProcess() {
  dir = mkdtempSync(join(tmpdir(), 'local-kafka-owner-'));
  const dataDir = join(dir, 'kafka');
  const port = (await freePorts(1))[0] ?? 0;
  const first = owner();
  await ensureKafka({ port, dataDir, logger, ownerPid: first.pid });
  const broker = brokerPid(dataDir);
  pids.push(broker);
  return { dataDir, port, first, broker };
}

describe('the local Kafka of npm start', () => {
  it(
    'is replaced, not adopted, when the run that started it was SIGKILLed just before',
    async () => {
      const { dataDir, port, first, broker: dying } = await brokerOfAnotherProcess();

      await killed(first);
      const restarted = await ensureKafka({ port, dataDir, logger });
      started.push(restarted);

      expect(brokerPid(dataDir)).not.toBe(dying);
      expect(alive(dying)).toBe(false);
      // The broker this run got answers: a topic can be created and listed.
      const kafka = new Kafka({ brokers: restarted.value, logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      try {
        await createTopicsWithLeaders(admin, [{ topic: 'after-restart', numPartitions: 1 }]);
        expect(await admin.listTopics()).toContain('after-restart');
      } finally {
        await admin.disconnect();
      }
    },
    TIMEOUT_MS,
  );

  it(
    'is killed when it does not shut down after its owner died',
    async () => {
      process.env.KAFKA_STOP_TIMEOUT = '2';
      const { first, broker: hung } = await brokerOfAnotherProcess();
      // A stopped process acts on no SIGTERM: a broker hung in its shutdown.
      process.kill(hung, 'SIGSTOP');

      await killed(first);
      await until('the hung broker is gone', () => !alive(hung));
    },
    TIMEOUT_MS,
  );
});
