import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { testKafka, uniqueName } from '../../../test/support/kafka.ts';
import { submittedEvents, toMessage } from './factories.ts';
import { waitUntil } from './harness.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');

function run(script: string, env: Record<string, string>): ChildProcess {
  return spawn(TSX, [script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('ingestor main.ts (distributed composition root)', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('serves ops, ingests, and exits 0 on SIGTERM', async () => {
    const tk = testKafka();
    const dir = await mkdtemp(join(tmpdir(), 'dossier-ingestor-main-'));
    dirs.push(dir);
    const topic = uniqueName('events');
    const env = {
      CLICKHOUSE_URL: `chdb:${dir}`,
      KAFKA_BROKERS: tk.brokers.join(','),
      KAFKA_GROUP_ID: uniqueName('group'),
      TOPIC_EVENTS: topic,
      TOPIC_DVCQG: uniqueName('dvcqg'),
      TOPIC_CATALOG: uniqueName('catalog'),
      TOPIC_INDEX766_EXTERNAL: uniqueName('index766-external'),
      TOPIC_DEAD_LETTER: uniqueName('dlq'),
      APPLICANT_HASH_KEY: 'main-test-key-0123456789',
      DEAD_LETTER_KEY: 'c3'.repeat(32),
      OPS_PORT: '0',
      LOG_LEVEL: 'info',
    };
    expect(await exited(run('packages/clickhouse/src/migrate.main.ts', env))).toBe(0);
    await tk.createTopics([topic], 1);
    const producer = tk.kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: submittedEvents(20).map(toMessage) });
    await producer.disconnect();

    const child = run('services/ingestor/src/main.ts', env);
    const logs: Record<string, unknown>[] = [];
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('{')) logs.push(JSON.parse(line));
    });
    child.stderr?.on('data', (c: Buffer) => process.stderr.write(c));
    const done = exited(child);
    await waitUntil('main logged ready', async () => logs.some((l) => l.msg === 'ingestor ready'));
    const port = logs.find((l) => l.msg === 'ingestor ready')?.opsPort as number;
    const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    await waitUntil('20 messages accepted', async () =>
      (await metrics()).includes('ingestor_messages_total{topic_kind="events",outcome="accepted"} 20'),
    );
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await done).toBe(0);
    expect(logs.map((l) => l.msg)).toContain('ingestor stopped');
  });
});
