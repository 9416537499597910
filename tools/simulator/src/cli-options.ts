import { logFormat, logLevel } from '@dossier/config';
import { z } from 'zod';
import type { BacklogOptions } from './backlog.ts';
import type { FaultShares } from './faults.ts';
import { DEFAULT_TOPICS } from './producer.ts';

export const USAGE = `Usage: npm run simulate -- [options]
  --rate N                 messages per second (live mode, default 50)
  --duration S             stop after S seconds (default: until Ctrl-C)
  --brokers LIST           Kafka brokers (default: $KAFKA_BROKERS or 127.0.0.1:9092)
  --dialect-share X        share of agencies sending DVCQG sync records (default 0.4)
  --duplicate-share X      share of messages sent twice (default 0.02)
  --out-of-order-share X   share of messages delivered late (default 0.05)
  --malformed-share X      share of messages followed by a broken copy (default 0.01)
  --seed S                 random seed (default 1)
  --backlog N              write N dossiers of history as fast as possible, then exit
  --from DATE --to DATE    backlog range (default: two years up to now)
  --batch-size N           backlog messages per Kafka request (default 10000)
Topics from TOPIC_EVENTS, TOPIC_DVCQG and TOPIC_CATALOG as the services read them (defaults
${DEFAULT_TOPICS.events}, ${DEFAULT_TOPICS.dvcqg}, ${DEFAULT_TOPICS.catalog}).`;

const share = z.coerce.number().min(0).max(1);

/** What the simulator reads from the environment besides KAFKA_BROKERS: the services' topic names too. */
export const SimulatorEnv = z.object({
  LOG_LEVEL: logLevel(),
  LOG_FORMAT: logFormat(),
  TOPIC_EVENTS: z.string().min(1).default(DEFAULT_TOPICS.events),
  TOPIC_DVCQG: z.string().min(1).default(DEFAULT_TOPICS.dvcqg),
  TOPIC_CATALOG: z.string().min(1).default(DEFAULT_TOPICS.catalog),
});

const Cli = z
  .object({
    rate: z.coerce.number().positive().default(50),
    duration: z.coerce.number().positive().optional(),
    brokers: z.string().min(1).default('127.0.0.1:9092'),
    'dialect-share': share.default(0.4),
    'duplicate-share': share.default(0.02),
    'out-of-order-share': share.default(0.05),
    'malformed-share': share.default(0.01),
    seed: z.string().min(1).default('1'),
    backlog: z.coerce.number().int().positive().optional(),
    from: z.coerce.date().optional(),
    to: z.coerce.date().optional(),
    'batch-size': z.coerce.number().int().positive().default(10_000),
  })
  .superRefine((o, ctx) => {
    if (o.from && o.to && o.to <= o.from)
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after --from' });
  });

export type CliOptions =
  | { mode: 'live'; brokers: string[]; live: LiveOptions }
  | { mode: 'backlog'; brokers: string[]; backlog: BacklogOptions };

interface LiveOptions {
  rate: number;
  durationSec?: number;
  seed: string;
  dvcqgShare: number;
  faults: FaultShares;
}

/** Flags win over the environment; every problem is listed at once. */
export function parseCliOptions(
  flags: Record<string, string | boolean | undefined>,
  env: Record<string, string | undefined>,
  now: Date,
): CliOptions {
  const input = { ...flags, brokers: flags.brokers ?? (env.KAFKA_BROKERS || undefined) };
  const parsed = Cli.safeParse(input);
  if (!parsed.success) {
    throw new Error(
      `Invalid options:\n${parsed.error.issues.map((i) => `  --${i.path.join('.')}: ${i.message}`).join('\n')}\n${USAGE}`,
    );
  }
  const o = parsed.data;
  const brokers = o.brokers.split(',').map((b) => b.trim());
  const faults = {
    duplicate: o['duplicate-share'],
    outOfOrder: o['out-of-order-share'],
    malformed: o['malformed-share'],
  };
  const common = { seed: o.seed, dvcqgShare: o['dialect-share'], faults };
  if (o.backlog !== undefined) {
    // Facts may not lie in the future: the ingestor rejects them.
    const to = o.to && o.to < now ? o.to : now;
    const from = o.from ?? new Date(to.getTime() - 2 * 365 * 86_400_000);
    return {
      mode: 'backlog',
      brokers,
      backlog: { ...common, from, to, dossiers: o.backlog, batchSize: o['batch-size'] },
    };
  }
  return { mode: 'live', brokers, live: { ...common, rate: o.rate, durationSec: o.duration } };
}
