// `npm run replay-dead-letters -- [--since ISO] [--until ISO] [--reason CODE] [--topic T] [--dry-run]`
import { parseArgs } from 'node:util';
import { createClickHouse } from '@dossier/clickhouse';
import { clickhouseUrl, csvList, loadConfig } from '@dossier/config';
import { Kafka, logLevel } from 'kafkajs';
import { z } from 'zod';
import { replayDeadLetters } from './replay.ts';

const ReplayConfig = z.object({
  KAFKA_BROKERS: csvList(),
  CLICKHOUSE_URL: clickhouseUrl().default('chdb:./data/clickhouse'),
});

const { values } = parseArgs({
  options: {
    since: { type: 'string' },
    until: { type: 'string' },
    reason: { type: 'string' },
    topic: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  },
  strict: true,
});

function instant(name: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new Error(`--${name}: expected an ISO 8601 instant, got ${text}`);
  return date;
}

const config = loadConfig(ReplayConfig);
const filter = {
  since: instant('since', values.since),
  until: instant('until', values.until),
  reason: values.reason,
  topic: values.topic,
  dryRun: values['dry-run'],
};
const clickhouse = await createClickHouse({ url: config.CLICKHOUSE_URL, application: 'dossier-replay' });
const producer = new Kafka({
  clientId: 'dossier-replay',
  brokers: config.KAFKA_BROKERS,
  logLevel: logLevel.ERROR,
}).producer();
await producer.connect();
try {
  const letters = await replayDeadLetters({ clickhouse, producer }, filter);
  const verb = filter.dryRun ? 'would replay' : 'replayed';
  for (const l of letters) {
    console.log(
      `${verb} ${l.source_topic}/${l.source_partition}/${l.source_offset} ${l.reason_code} rejected_at=${l.rejected_at}`,
    );
  }
  console.log(`${letters.length} dead letter(s) ${verb}`);
} finally {
  await producer.disconnect();
  await clickhouse.close();
}
