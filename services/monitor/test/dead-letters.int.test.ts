// The operator's dead-letter routes over real Kafka and ClickHouse: letters made by a real ingestor,
// listed without their payload, replayed once through the ingestor's own replay, and the replay CLI
// going through the monitor as it does while `npm start` holds the chDB directory.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deadLetterKeys } from '@dossier/dead-letters';
import { createHealth, createMetricsRegistry } from '@dossier/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../../test/support/free-port.ts';
import { testLogger } from '../../../test/support/test-log.ts';
import {
  LOCAL_ADMIN_TOKEN_FILE,
  ReplayCliConfig,
  ReplayCliError,
  runningAllInOne,
  runReplayCli,
} from '../../ingestor/src/replay-cli.ts';
import {
  canonicalEvent,
  PROCEDURE,
  submittedEvents,
  toMessage,
  uniqueDossierCode,
} from '../../ingestor/test/factories.ts';
import { createHarness, type Harness } from '../../ingestor/test/harness.ts';
import { type Monitor, type MonitorDeps, monitorConfig, startMonitor } from '../src/index.ts';

const TOKEN = 'test-admin-token-0123456789abcdef';

interface ListedLetter {
  source_topic: string;
  source_partition: number;
  source_offset: string;
  reason_code: string;
  reason_text: string;
  value_bytes: number;
  topic_record: string;
  topic_note: string;
  replayed: boolean;
  replayed_at: string | null;
}
interface ListBody {
  limit: number;
  more: boolean;
  letters: ListedLetter[];
}
interface ReplayBody {
  dryRun: boolean;
  count: number;
  letters: { source_offset: string; reason_code: string; rejected_at: string }[];
}
interface ErrorBody {
  error: string;
  message: string;
  issues: { path: string; message: string }[];
}

async function read<T>(res: Response | Promise<Response>): Promise<T> {
  return (await (await res).json()) as T;
}
const PERSON = 'Nguyễn Văn An';

describe('dead-letter operator routes', () => {
  let h: Harness;
  let monitor: Monitor;
  let base: string;
  const others: Monitor[] = [];
  let dataDir: string;

  async function startTestMonitor(overrides: Partial<MonitorDeps> = {}, token?: string): Promise<Monitor> {
    return startMonitor({
      config: monitorConfig({ MONITOR_PORT: 0, MONITOR_HOST: '127.0.0.1', MONITOR_ADMIN_TOKEN: token }),
      logger: testLogger('monitor'),
      registry: createMetricsRegistry(),
      health: createHealth(),
      clickhouse: h.clickhouse,
      redis: {}, // no queues: never connected
      queueNames: [],
      ...overrides,
    });
  }

  async function highWatermarkSum(): Promise<number> {
    const marks = await h.admin.fetchTopicOffsets(h.config.TOPIC_EVENTS);
    return marks.reduce((sum, m) => sum + Number(m.high), 0);
  }

  function replay(body: unknown, token: string | null = TOKEN, url = base) {
    return fetch(`${url}/api/dead-letters/replay`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  beforeAll(async () => {
    // A message cap too small for some legitimate events: the "bug" fixed before the replay. The
    // dead-letter topic takes records up to 1,000 bytes here, so the large letters go there as references.
    h = await createHarness({
      partitions: 1,
      config: { INGEST_MAX_MESSAGE_BYTES: '700', DEAD_LETTER_MAX_MESSAGE_BYTES: '1000' },
    });
    const large = Array.from({ length: 2 }, () =>
      canonicalEvent('submitted', uniqueDossierCode(), Date.now() - 86_400_000, {
        procedure_code: PROCEDURE,
        channel: 'online',
        note: `${PERSON} ${'x'.repeat(800)}`,
      }),
    );
    const first = await h.start();
    await h.produce(
      h.config.TOPIC_EVENTS,
      [...submittedEvents(2), ...large]
        .map(toMessage)
        .concat([{ key: 'k1', value: Buffer.from(`not json ${PERSON}`) }]),
    );
    await h.waitCaughtUp();
    await first.ingestor.stop();
    monitor = await startTestMonitor(
      { deadLetters: { kafka: h.kafka, keys: deadLetterKeys(h.config.DEAD_LETTER_KEY) } },
      TOKEN,
    );
    base = `http://127.0.0.1:${monitor.port}`;
    dataDir = await mkdtemp(join(tmpdir(), 'replay-cli-'));
  });
  afterAll(async () => {
    await Promise.allSettled([monitor?.stop(), ...others.map((m) => m.stop())]);
    await h?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('lists dead letters with position, reason, size and times, never the payload', async () => {
    const res = await fetch(`${base}/api/dead-letters`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(PERSON);
    expect(text).not.toContain('xxxxxxxx');
    expect(text).not.toContain(Buffer.from('not json').toString('base64').slice(0, 8));
    const body = JSON.parse(text) as ListBody;
    expect(body).toMatchObject({ limit: 100, more: false });
    expect(body.letters).toHaveLength(3);
    for (const letter of body.letters) {
      expect(Object.keys(letter).sort()).toEqual(
        [
          'message_timestamp',
          'reason_code',
          'reason_text',
          'rejected_at',
          'replayed',
          'replayed_at',
          'source_offset',
          'source_partition',
          'source_topic',
          'topic_note',
          'topic_record',
          'value_bytes',
        ].sort(),
      );
      expect(letter).toMatchObject({
        source_topic: h.config.TOPIC_EVENTS,
        source_partition: 0,
        replayed: false,
      });
      expect(letter.replayed_at).toBeNull();
      expect(letter.reason_text.length).toBeGreaterThan(0);
    }
    expect(body.letters.map((l) => l.reason_code).sort()).toEqual(['invalid_json', 'too_large', 'too_large']);
    const large = body.letters.find((l) => l.reason_code === 'too_large');
    expect(large?.value_bytes).toBeGreaterThan(700);
    // Whether the letter's bytes are on the dead-letter topic or only a reference to its row.
    expect(body.letters.map((l) => `${l.reason_code}:${l.topic_record}`).sort()).toEqual([
      'invalid_json:copy',
      'too_large:reference',
      'too_large:reference',
    ]);
    expect(body.letters.find((l) => l.topic_record === 'reference')?.topic_note).toMatch(
      /exceed the topic's limit/,
    );

    const filtered = await read<ListBody>(fetch(`${base}/api/dead-letters?reason=too_large&limit=1`));
    expect(filtered).toMatchObject({ limit: 1, more: true });
    expect(filtered.letters).toHaveLength(1);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await read<ListBody>(fetch(`${base}/api/dead-letters?since=${future}`))).letters).toEqual([]);
  });

  it('answers 400 listing every problem of the input', async () => {
    const list = await fetch(`${base}/api/dead-letters?since=yesterday&limit=0&reasn=too_large`);
    expect(list.status).toBe(400);
    const listBody = await read<ErrorBody>(list);
    expect(listBody.error).toBe('bad_request');
    expect(listBody.issues.map((i) => i.path).sort()).toEqual(['(root)', 'limit', 'since']);
    expect(listBody.message).toMatch(/reasn/);

    const bad = await replay({ since: 'yesterday', dryRun: 'yes', topic: '' });
    expect(bad.status).toBe(400);
    const badBody = await read<ErrorBody>(bad);
    expect(badBody.issues.map((i) => i.path).sort()).toEqual(['dryRun', 'since', 'topic']);

    const reversed = await replay({ since: '2026-02-01T00:00:00Z', until: '2026-01-01T00:00:00+07:00' });
    expect(reversed.status).toBe(400);
    expect((await read<ErrorBody>(reversed)).issues).toEqual([
      { path: 'until', message: 'must be after since' },
    ]);

    const broken = await replay('{');
    expect(broken.status).toBe(400);
    expect((await read<ErrorBody>(broken)).error).toBe('bad_request');
  });

  it('refuses to replay without the token, with a wrong one, or when no token is configured', async () => {
    const before = await highWatermarkSum();
    const anonymous = await replay({}, null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await read<ErrorBody>(anonymous)).error).toBe('unauthorized');

    const wrong = await replay({}, 'not-the-admin-token-0123456789');
    expect(wrong.status).toBe(403);
    expect((await read<ErrorBody>(wrong)).error).toBe('forbidden');

    const unguarded = await startTestMonitor({
      deadLetters: { kafka: h.kafka, keys: deadLetterKeys(h.config.DEAD_LETTER_KEY) },
    });
    others.push(unguarded);
    const disabled = await replay({}, TOKEN, `http://127.0.0.1:${unguarded.port}`);
    expect(disabled.status).toBe(403);
    expect((await read<ErrorBody>(disabled)).message).toMatch(/MONITOR_ADMIN_TOKEN/);

    expect(await highWatermarkSum()).toBe(before);
    expect(await h.count('SELECT count() AS n FROM dead_letter_replays_v1')).toBe(0);
  });

  it('has no dead-letter routes when not given Kafka', async () => {
    const plain = await startTestMonitor();
    others.push(plain);
    expect((await fetch(`http://127.0.0.1:${plain.port}/api/dead-letters`)).status).toBe(404);
    expect((await replay({}, TOKEN, `http://127.0.0.1:${plain.port}`)).status).toBe(404);
  });

  it('replays the selected letters exactly once, after the fix', async () => {
    await h.start({ config: { ...h.config, INGEST_MAX_MESSAGE_BYTES: 1024 * 1024 } });
    const before = await highWatermarkSum();

    const dry = await replay({ reason: 'too_large', dryRun: true });
    expect(dry.status).toBe(200);
    const planned = await read<ReplayBody>(dry);
    expect(planned).toMatchObject({ dryRun: true, count: 2 });
    expect(await highWatermarkSum()).toBe(before);

    const done = await read<ReplayBody>(replay({ reason: 'too_large', topic: h.config.TOPIC_EVENTS }));
    expect(done).toMatchObject({ dryRun: false, count: 2 });
    expect(done.letters).toEqual(planned.letters);
    expect(await highWatermarkSum()).toBe(before + 2);

    const again = await read<ReplayBody>(replay({ reason: 'too_large' }));
    expect(again).toMatchObject({ count: 0, letters: [] });
    expect(await highWatermarkSum()).toBe(before + 2);

    await h.waitCaughtUp();
    expect(await h.eventCount()).toBe(4);
    const list = await read<ListBody>(fetch(`${base}/api/dead-letters`));
    const state = list.letters.map((l) => [l.reason_code, l.replayed, l.replayed_at !== null]);
    expect(state.sort()).toEqual([
      ['invalid_json', false, false],
      ['too_large', true, true],
      ['too_large', true, true],
    ]);
  });

  it('makes the replay CLI go through the running process, with the same flags and output', async () => {
    // What `npm start` leaves in DATA_DIR: its pid (this live process stands in) and the admin token.
    await writeFile(join(dataDir, 'all-in-one.pid'), String(process.pid));
    await writeFile(join(dataDir, LOCAL_ADMIN_TOKEN_FILE), `${TOKEN}\n`);
    const env = { DATA_DIR: dataDir, MONITOR_PORT: String(monitor.port), MONITOR_HOST: '0.0.0.0' };
    expect(runningAllInOne(ReplayCliConfig.parse(env))).toMatchObject({
      url: `http://127.0.0.1:${monitor.port}`,
      token: TOKEN,
      pid: process.pid,
    });
    const before = await highWatermarkSum();
    // The broken JSON is rejected again when replayed (a new letter, rejected later): --until keeps
    // the selection to the original one, so a second run must find nothing.
    const until = new Date().toISOString();

    const lines: string[] = [];
    const planned = await runReplayCli(
      ['--reason', 'invalid_json', '--until', until, '--dry-run'],
      env,
      (l) => lines.push(l),
    );
    expect(planned).toHaveLength(1);
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^would replay ${h.config.TOPIC_EVENTS}/0/\\d+ invalid_json rejected_at=\\d{4}-\\d\\d-\\d\\d \\d`,
        ),
      ),
      '1 dead letter(s) would replay',
    ]);
    expect(await highWatermarkSum()).toBe(before);

    lines.length = 0;
    // Paced: the monitor takes the rate with the selection (its body is strict: an unknown key fails).
    await runReplayCli(['--reason', 'invalid_json', '--until', until, '--rate', '500'], env, (l) =>
      lines.push(l),
    );
    expect(lines).toEqual([lines[0]?.replace(/^would replay/, 'replayed'), '1 dead letter(s) replayed']);
    expect(lines[0]).toBe(
      planned[0] &&
        `replayed ${h.config.TOPIC_EVENTS}/0/${planned[0].source_offset} invalid_json rejected_at=${planned[0].rejected_at}`,
    );
    expect(await highWatermarkSum()).toBe(before + 1);

    lines.length = 0;
    await runReplayCli(['--reason', 'invalid_json', '--until', until], env, (l) => lines.push(l));
    expect(lines).toEqual(['0 dead letter(s) replayed']);
    expect(await highWatermarkSum()).toBe(before + 1);
  });

  it('tells the operator why the CLI cannot replay through the running process', async () => {
    const env = { DATA_DIR: dataDir, MONITOR_PORT: String(monitor.port) };
    await writeFile(join(dataDir, LOCAL_ADMIN_TOKEN_FILE), 'a-wrong-token-0123456789');
    await expect(runReplayCli(['--dry-run'], env, () => {})).rejects.toThrow(
      /answered 403: .*not MONITOR_ADMIN_TOKEN/,
    );
    await expect(runReplayCli(['--since', 'soon'], env, () => {})).rejects.toThrow(ReplayCliError);
    await expect(runReplayCli(['--rate', '0'], env, () => {})).rejects.toThrow(
      /--rate: expected letters a second/,
    );
    const closed = { ...env, MONITOR_PORT: String((await freePorts(1))[0]) };
    await expect(runReplayCli(['--dry-run'], closed, () => {})).rejects.toThrow(/cannot reach .*\n.*stale/);
    await rm(join(dataDir, LOCAL_ADMIN_TOKEN_FILE));
    await expect(runReplayCli(['--dry-run'], env, () => {})).rejects.toThrow(/no admin token/);
    // A pid file naming no live process means nothing holds the directory: the CLI would open it itself.
    await writeFile(join(dataDir, 'all-in-one.pid'), '99999999');
    expect(runningAllInOne(ReplayCliConfig.parse(env))).toBeUndefined();
  });
});
