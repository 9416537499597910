import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { catalogMessages } from './catalog.ts';
import type { SimMessage, TopicKind } from './dialects.ts';
import type { FaultShares } from './faults.ts';
import type { Mix } from './lifecycle.ts';
import { PendingMessages } from './pending.ts';
import { connectProducer, DEFAULT_TOPICS, type SimProducer, type TopicNames } from './producer.ts';
import { createRng } from './random.ts';
import { DAY_MS } from './time.ts';
import { createTraffic } from './traffic.ts';

export interface SimulatorOptions {
  kafka: Kafka;
  topics?: TopicNames;
  /** Messages per second. */
  rate: number;
  /** Stop by itself after this many seconds; run until stop() when absent. */
  durationSec?: number;
  seed: number | string;
  /** Share of agencies sending DVCQG sync records. */
  dvcqgShare: number;
  faults: FaultShares;
  mix?: Mix;
  /** New dossiers are filed up to this many days back, so finished dossiers (and KPIs) appear at once. */
  backdateDays?: number;
  /** Cap on messages waiting for their time; new dossiers wait while it is reached. */
  maxPending?: number;
  tickMs?: number;
  logger: Logger;
  registry?: Registry;
  now?: () => number;
}

export interface SimulatorStats {
  dossiers: number;
  messages: number;
  byTopic: Record<TopicKind, number>;
  duplicates: number;
  outOfOrder: number;
  malformed: number;
  pending: number;
  sendErrors: number;
}

export interface Simulator {
  /** Sends the catalog, then traffic at the configured rate; resolves when stopped or the duration is over. */
  run(): Promise<SimulatorStats>;
  stop(): Promise<void>;
  readonly stats: SimulatorStats;
}

function metrics(registry: Registry | undefined) {
  if (!registry) return undefined;
  return {
    messages: new Counter({
      name: 'simulator_messages_total',
      help: 'Messages sent by the simulator',
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'simulator_pending_messages',
      help: 'Messages waiting for their event time',
      registers: [registry],
    }),
  };
}

export function createSimulator(options: SimulatorOptions): Simulator {
  const now = options.now ?? Date.now;
  const startedAt = now();
  // Codes of earlier runs on the same days must not be reused: the sequence starts at the minute of the start.
  const sequenceBase = (Math.floor(startedAt / 60_000) % 1_000_000) * 10_000;
  const traffic = createTraffic({
    seed: options.seed,
    dvcqgShare: options.dvcqgShare,
    faults: options.faults,
    mix: options.mix,
    sequenceBase,
  });
  const filingRng = createRng(`${options.seed}:live-filings`);
  const pending = new PendingMessages();
  const topics = options.topics ?? DEFAULT_TOPICS;
  const backdateMs = (options.backdateDays ?? 30) * DAY_MS;
  const maxPending = options.maxPending ?? 200_000;
  const tickMs = options.tickMs ?? 200;
  const m = metrics(options.registry);
  const stats: SimulatorStats = {
    dossiers: 0,
    messages: 0,
    byTopic: { events: 0, dvcqg: 0, catalog: 0 },
    duplicates: 0,
    outOfOrder: 0,
    malformed: 0,
    pending: 0,
    sendErrors: 0,
  };
  let stopping = false;
  let wake: (() => void) | undefined;
  let running: Promise<SimulatorStats> | undefined;

  const refresh = () => {
    Object.assign(stats, {
      dossiers: traffic.counts.dossiers,
      duplicates: traffic.counts.duplicates,
      outOfOrder: traffic.counts.outOfOrder,
      malformed: traffic.counts.malformed,
      pending: pending.size,
    });
    m?.pending.set(pending.size);
  };

  const sendCounted = async (producer: SimProducer, batch: SimMessage[]) => {
    await producer.send(batch);
    stats.messages += batch.length;
    for (const msg of batch) {
      stats.byTopic[msg.topic]++;
      m?.messages.inc({ topic: msg.topic });
    }
  };

  const fill = (t: number, budget: number): SimMessage[] => {
    const batch = pending.takeDue(t, budget);
    while (batch.length < budget && pending.size < maxPending) {
      const dossier = traffic.dossier(t - filingRng.next() * backdateMs);
      for (const msg of traffic.messages(dossier, Number.POSITIVE_INFINITY)) {
        if (msg.at <= t) batch.push(msg);
        else pending.push(msg);
      }
    }
    return batch;
  };

  const loop = async (): Promise<SimulatorStats> => {
    const producer = await connectProducer(options.kafka, topics);
    const log = options.logger;
    try {
      await sendCounted(producer, catalogMessages(traffic.catalog, now()));
      log.info(
        { rate: options.rate, durationSec: options.durationSec, dvcqgShare: options.dvcqgShare },
        'simulator started',
      );
      const began = now();
      let sent = 0;
      while (!stopping) {
        const t = now();
        const elapsedSec = (t - began) / 1000;
        if (options.durationSec !== undefined && elapsedSec >= options.durationSec) break;
        // After a stall the budget is capped at one second's worth: no burst to catch up.
        sent = Math.max(sent, options.rate * elapsedSec - options.rate);
        const budget = Math.floor(options.rate * elapsedSec - sent);
        if (budget > 0) {
          const batch = fill(t, budget);
          try {
            await sendCounted(producer, batch);
            sent += batch.length;
          } catch (err) {
            stats.sendErrors++;
            for (const msg of batch) pending.push(msg);
            log.warn({ err, messages: batch.length }, 'simulator send failed');
          }
          refresh();
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, tickMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      refresh();
      log.info({ messages: stats.messages, dossiers: stats.dossiers }, 'simulator stopped');
      return { ...stats, byTopic: { ...stats.byTopic } };
    } finally {
      await producer.disconnect();
    }
  };

  return {
    stats,
    run() {
      running ??= loop();
      return running;
    },
    async stop() {
      stopping = true;
      wake?.();
      await running?.catch(() => undefined);
    },
  };
}
