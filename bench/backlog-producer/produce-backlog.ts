// The memory benchmark's backlog (ingestor-memory.bench.ts): events of the ingest bench's eventMessage,
// produced with Kafka's Java client when it can run here (BacklogProducer.java), else with kafkajs.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kafka } from 'kafkajs';
import { DAY, eventMessage } from '../ingest-support.ts';

/**
 * Produces events `first` to `count` - 1 of {@link eventMessage}: with Kafka's Java client when a JDK and
 * the local broker's jars are here (backlog-producer/BacklogProducer.java, a few µs a message), else with
 * kafkajs, 5,000 a request and up to 4 requests in flight (~30 µs of CPU a message).
 */
export async function produceBacklog(
  kafka: Kafka,
  brokers: string[],
  topic: string,
  first: number,
  count: number,
  log: (line: string) => void,
) {
  const base = Date.now() - 30 * DAY;
  if (await produceWithJava(brokers, topic, first, count, base)) return;
  const producer = kafka.producer();
  await producer.connect();
  const inFlight = new Set<Promise<unknown>>();
  let reported = first;
  try {
    for (let from = first; from < count; from += 5_000) {
      const messages = Array.from({ length: Math.min(5_000, count - from) }, (_, k) =>
        eventMessage(from + k, base),
      );
      const sent = producer.send({ topic, messages, acks: 1 });
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent));
      if (inFlight.size >= 4) await Promise.race(inFlight);
      if (from - reported >= 1_000_000) {
        reported = from;
        log(`[bench:memory] produced ${from} events`);
      }
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
}

/** Messages repeat their fields every 3,000 (time: i % 1000, channel: i % 3, digitized: i % 2). */
const TEMPLATE_PERIOD = 3_000;

/**
 * The Java producer, fed templates of {@link eventMessage}'s own messages (index-dependent parts as
 * placeholders); false when no JDK or jars are here.
 */
async function produceWithJava(
  brokers: string[],
  topic: string,
  first: number,
  count: number,
  base: number,
): Promise<boolean> {
  const jars = join(
    process.env.KAFKA_CACHE_DIR ??
      join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'dossier-pipeline', 'kafka-4.1.1'),
    'libs',
  );
  if (!existsSync(join(jars, 'kafka-clients-4.1.1.jar'))) return false;
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) return false;
  const dir = await mkdtemp(join(tmpdir(), 'bench-backlog-'));
  try {
    const lines = Array.from({ length: TEMPLATE_PERIOD }, (_, i) => {
      const m = eventMessage(i, base);
      const key = m.key as string;
      const n7 = String(i).padStart(7, '0');
      const value = (m.value as string)
        .replace(`-${n7}"`, '-{N7}"')
        .replace(`"0791${String(i).padStart(8, '0')}"`, '"0791{N8}"')
        .replace(/"id":"[0-9a-f-]{36}"/, '"id":"{UUID}"');
      if (
        !key.endsWith(n7) ||
        !value.includes('{N7}') ||
        !value.includes('{N8}') ||
        !value.includes('{UUID}')
      )
        throw new Error('eventMessage changed shape: update the backlog templates');
      return `${key.slice(0, -n7.length)}{N7}\t${value}`;
    });
    const file = join(dir, 'templates.tsv');
    await writeFile(file, `${lines.join('\n')}\n`);
    const java = spawn(
      'java',
      [
        '-Xmx256m',
        '-cp',
        `${jars}/*`,
        fileURLToPath(new URL('BacklogProducer.java', import.meta.url)),
        brokers.join(','),
        topic,
        String(first),
        String(count),
        file,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    const [code] = (await once(java, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`the Java backlog producer exited with ${code}`);
    return true;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
