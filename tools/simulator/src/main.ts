// Simulator CLI: `npm run simulate -- --rate 200 --duration 60` (live) or `--backlog 1000000` (history).
import { parseArgs } from 'node:util';
import { loadConfig } from '@dossier/config';
import { createLogger, createTopicsWithLeaders } from '@dossier/observability';
import { Kafka, logLevel } from 'kafkajs';
import { generateBacklog } from './backlog.ts';
import { parseCliOptions, SimulatorEnv, USAGE } from './cli-options.ts';
import { connectProducer } from './producer.ts';
import { createSimulator } from './simulator.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string' },
    duration: { type: 'string' },
    brokers: { type: 'string' },
    'dialect-share': { type: 'string' },
    'duplicate-share': { type: 'string' },
    'out-of-order-share': { type: 'string' },
    'malformed-share': { type: 'string' },
    seed: { type: 'string' },
    backlog: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    'batch-size': { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const options = parseCliOptions(values, process.env, new Date());
const env = loadConfig(SimulatorEnv);
const topics = { events: env.TOPIC_EVENTS, dvcqg: env.TOPIC_DVCQG, catalog: env.TOPIC_CATALOG };
const logger = createLogger({ service: 'simulator', level: env.LOG_LEVEL, format: env.LOG_FORMAT });
const kafka = new Kafka({
  clientId: 'dossier-simulator',
  brokers: options.brokers,
  logLevel: logLevel.ERROR,
});

const admin = kafka.admin();
await admin.connect();
const existing = new Set(await admin.listTopics());
const missing = Object.values(topics).filter((t) => !existing.has(t));
if (missing.length > 0)
  await createTopicsWithLeaders(
    admin,
    missing.map((topic) => ({ topic, numPartitions: 3 })),
  );
await admin.disconnect();

if (options.mode === 'backlog') {
  const producer = await connectProducer(kafka, topics);
  const began = Date.now();
  let sent = 0;
  let lastReport = began;
  // Two batches in flight: generation of the next overlaps the broker round-trip of the previous.
  const inFlight: Promise<void>[] = [];
  for (const batch of generateBacklog(options.backlog)) {
    inFlight.push(
      producer.send(batch).then(() => {
        sent += batch.length;
      }),
    );
    if (inFlight.length >= 2) await inFlight.shift();
    if (Date.now() - lastReport > 5_000) {
      lastReport = Date.now();
      logger.info({ sent, perSecond: Math.round(sent / ((lastReport - began) / 1000)) }, 'backlog progress');
    }
  }
  await Promise.all(inFlight);
  await producer.disconnect();
  logger.info({ sent, seconds: (Date.now() - began) / 1000 }, 'backlog sent');
} else {
  const simulator = createSimulator({ ...options.live, kafka, logger, topics });
  const stop = () => void simulator.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const stats = await simulator.run();
  logger.info({ stats }, 'simulator finished');
}
