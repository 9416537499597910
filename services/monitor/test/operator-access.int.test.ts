// Nobody changes the running pipeline without the operator's credential: every registered route that is
// not GET/HEAD is guarded, each change without the credential is refused and changes nothing (real
// BullMQ queue with a real worker, real Kafka, real ClickHouse), and each change with it works and leaves
// exactly one row in operator_actions_v1.
import { Writable } from 'node:stream';
import { loadMigrations } from '@dossier/clickhouse';
import { deadLetterKeys, toDeadLetterRow } from '@dossier/dead-letters';
import { createHealth, createLogger, createMetricsRegistry } from '@dossier/observability';
import { type Job, Queue, QueueEvents, Worker } from 'bullmq';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse.ts';
import { freePorts } from '../../../test/support/free-port.ts';
import { type TestKafka, testKafka } from '../../../test/support/kafka.ts';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../../../test/support/redis.ts';
import { CREDENTIAL_EXCHANGE_ROUTES, installAccessControl } from '../src/auth/access.ts';
import { auditDetails, installOperatorAudit } from '../src/auth/audit.ts';
import { createCredentials } from '../src/auth/credentials.ts';
import { createFailureLimiter } from '../src/auth/failure-limiter.ts';
import { createSessionStore } from '../src/auth/sessions.ts';
import {
  LOGIN_FAILURE_LIMIT,
  type Monitor,
  type MonitorDeps,
  monitorConfig,
  startMonitor,
} from '../src/index.ts';
import { createMonitorMetrics } from '../src/metrics.ts';

const QUEUE = 'kpi-aggregator';
const ADMIN = 'admin-token-0123456789abcdef0123';
const ALICE = 'alice-token-0123456789abcdef0123';
const VIEWER = 'viewer-token-0123456789abcdef012';
const WRONG = 'wrong-token-0123456789abcdef0123';
const SECRETS = [ADMIN, ALICE, VIEWER, WRONG];

interface AuditRow {
  action_id: string;
  action: string;
  method: string;
  route: string;
  target: string;
  details: string;
  credential_id: string;
  auth_method: string;
  remote_address: string;
  status: number;
  outcome: string;
}

let store: TestClickHouse;
let kafka: TestKafka;
let topic: string;
let prefix: string;
let queue: Queue;
let events: QueueEvents;
let worker: Worker;
let monitor: Monitor;
let base: string;
const others: Monitor[] = [];
const logs: string[] = [];

function logger() {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  return createLogger({ service: 'monitor', level: 'info', destination: sink });
}

async function startTestMonitor(
  config: Parameters<typeof monitorConfig>[0],
  deps: Partial<MonitorDeps> = {},
) {
  const started = await startMonitor({
    config: monitorConfig({ MONITOR_PORT: 0, MONITOR_HOST: '127.0.0.1', ...config }),
    logger: logger(),
    registry: createMetricsRegistry(),
    health: createHealth(),
    clickhouse: store.clickhouse,
    redis: { url: testRedisUrl(), maxRetriesPerRequest: null },
    queueNames: [QUEUE],
    queuePrefix: prefix,
    deadLetters: { kafka: kafka.kafka, keys: LETTER_KEYS },
    ...deps,
  });
  others.push(started);
  return started;
}

interface CallOptions {
  token?: string;
  cookie?: string;
  origin?: string;
  forwardedFor?: string;
  body?: unknown;
  url?: string;
}

function call(method: string, path: string, options: CallOptions = {}) {
  const body = options.body ?? (method === 'GET' || method === 'HEAD' ? undefined : {});
  return fetch(`${options.url ?? base}${path}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.cookie ? { cookie: options.cookie } : {}),
      ...(options.origin ? { origin: options.origin } : {}),
      ...(options.forwardedFor ? { 'x-forwarded-for': options.forwardedFor } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function auditRows(): Promise<AuditRow[]> {
  const result = await store.clickhouse.query({
    query: 'SELECT * FROM operator_actions_v1 ORDER BY started_at, action_id',
    format: 'JSONEachRow',
  });
  return result.json<AuditRow>();
}

async function topicOffset(): Promise<number> {
  const admin = kafka.kafka.admin();
  await admin.connect();
  try {
    const marks = await admin.fetchTopicOffsets(topic);
    return marks.reduce((sum, m) => sum + Number(m.high), 0);
  } finally {
    await admin.disconnect();
  }
}

async function replayed(): Promise<number> {
  const result = await store.clickhouse.query({
    query: 'SELECT count() AS n FROM dead_letter_replays_v1',
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: number | string }>())[0]?.n ?? 0);
}

/** Everything a refused request could have changed. */
async function pipelineState() {
  const jobs = await queue.getJobs(['delayed', 'waiting', 'failed'], 0, 100);
  return {
    paused: await queue.isPaused(),
    jobs: jobs.map((j) => j.id).sort(),
    offset: await topicOffset(),
    replayed: await replayed(),
    audit: (await auditRows()).length,
  };
}

/** A job added now completes: the queue is running and its worker takes jobs. */
async function runsAJob(): Promise<void> {
  const job = await queue.add('probe', {});
  await expect(job.waitUntilFinished(events)).resolves.toBe('done');
}

const LETTER_KEYS = deadLetterKeys('ab'.repeat(32));

let removable: Job;
let cleanable: Job;

beforeAll(async () => {
  store = await createTestClickHouse();
  kafka = testKafka();
  topic = kafka.uniqueName('access-events');
  await kafka.createTopics([topic], 1);
  await store.clickhouse.insert({
    table: 'dead_letters_v2',
    values: [
      toDeadLetterRow(
        {
          topic,
          partition: 0,
          message: {
            key: null,
            value: Buffer.from('{"fixed":true}'),
            offset: '0',
            timestamp: '1767225600000',
            attributes: 0,
            headers: {},
          },
          rejection: { code: 'schema', reason: 'data.agency_code: required' },
        },
        LETTER_KEYS,
        { record: 'copy', note: '' },
      ),
    ],
    format: 'JSONEachRow',
  });
  prefix = uniquePrefix('access');
  const connection = { url: testRedisUrl(), maxRetriesPerRequest: null };
  queue = new Queue(QUEUE, { connection, prefix });
  events = new QueueEvents(QUEUE, { connection, prefix });
  await events.waitUntilReady();
  worker = new Worker(QUEUE, async () => 'done', { connection, prefix });
  // Created a minute ago: Bull Board's clean keeps jobs younger than its 5 s grace.
  const timestamp = Date.now() - 60_000;
  removable = await queue.add('kpi-cycle', {}, { delay: 3_600_000, timestamp });
  cleanable = await queue.add('kpi-cycle', {}, { delay: 7_200_000, timestamp });
  monitor = await startTestMonitor({
    MONITOR_ADMIN_TOKEN: ADMIN,
    MONITOR_OPERATOR_TOKENS: `alice:${ALICE}`,
    MONITOR_VIEWER_TOKEN: VIEWER,
    MONITOR_TRUST_PROXY: '127.0.0.1',
  });
  base = `http://127.0.0.1:${monitor.port}`;
});

afterAll(async () => {
  await Promise.allSettled(others.map((m) => m.stop()));
  await worker?.close();
  await events?.close();
  await queue?.close();
  if (prefix) await deleteKeys(prefix);
  await store?.close();
});

/** A registered path with its parameters filled in with real names from the fixture. */
function concrete(url: string): string {
  return url
    .replace(':queueName', QUEUE)
    .replace(':jobId', String(removable.id))
    .replace(':queueStatus', 'delayed')
    .replace(':schedulerId', 'no-such-scheduler');
}

describe('the credential guard', () => {
  it('covers every registered route that is not GET or HEAD', async () => {
    const changing = monitor.routes.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
    // Bull Board's queue and job actions and the dead-letter replay, at least.
    expect(changing.length).toBeGreaterThan(20);
    for (const path of ['/queues/api/queues/:queueName/pause', '/api/dead-letters/replay'])
      expect(changing.map((r) => r.url)).toContain(path);
    const exchange = changing.filter((r) => CREDENTIAL_EXCHANGE_ROUTES.has(`${r.method} ${r.url}`));
    expect(exchange.map((r) => `${r.method} ${r.url}`).sort()).toEqual(['POST /login', 'POST /logout']);
    for (const route of changing.filter((r) => !exchange.includes(r)))
      expect(route.access, `${route.method} ${route.url}`).toBe('operate');

    // …and the guard is what answers: each of them, called for real, is refused and changes nothing.
    const before = await pipelineState();
    for (const route of changing.filter((r) => !exchange.includes(r))) {
      const anonymous = await call(route.method, concrete(route.url));
      expect(anonymous.status, `${route.method} ${route.url}`).toBe(401);
      const viewer = await call(route.method, concrete(route.url), { token: VIEWER });
      expect(viewer.status, `${route.method} ${route.url} as viewer`).toBe(403);
    }
    expect(await pipelineState()).toEqual(before);
    await runsAJob();
  });

  it('refuses a state-changing route registered as readable, and guards a new loader by default', async () => {
    const deps = () => ({
      credentials: createCredentials({ adminToken: ADMIN }),
      sessions: createSessionStore({ ttlMs: 60_000 }),
      limiter: createFailureLimiter(LOGIN_FAILURE_LIMIT),
      logger: logger(),
      denials: createMonitorMetrics(createMetricsRegistry()).authDenials,
    });
    const careless = Fastify();
    installAccessControl(careless, deps());
    expect(() =>
      careless.post('/api/loaders/careless', { config: { access: 'read' } }, async () => ({})),
    ).toThrow(/changes state, so it must be an operator route/);

    // What another engineer's loader gets by writing a plain POST route: the guard and the audit.
    const app = Fastify();
    const metrics = createMonitorMetrics(createMetricsRegistry());
    installAccessControl(app, deps());
    installOperatorAudit(app, {
      clickhouse: store.clickhouse,
      logger: logger(),
      actions: metrics.operatorActions,
      failures: metrics.auditFailures,
    });
    let loaded = 0;
    app.post('/api/loaders/figures', async (request) => {
      loaded += 1;
      auditDetails(request, { rows: 3 });
      return { rows: 3 };
    });
    const before = (await auditRows()).length;
    expect((await app.inject({ method: 'POST', url: '/api/loaders/figures', payload: {} })).statusCode).toBe(
      401,
    );
    expect(loaded).toBe(0);
    expect((await auditRows()).length).toBe(before);
    const done = await app.inject({
      method: 'POST',
      url: '/api/loaders/figures',
      payload: {},
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(done.statusCode).toBe(200);
    expect(loaded).toBe(1);
    const rows = (await auditRows()).filter((r) => r.route === '/api/loaders/figures');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'POST /api/loaders/figures',
      credential_id: 'admin',
      outcome: 'ok',
    });
    expect(JSON.parse(rows[0]?.details ?? '')).toEqual({ rows: 3 });
    await app.close();
    await careless.close();
  });
});

describe('state-changing requests', () => {
  const pause = `/queues/api/queues/${QUEUE}/pause`;
  const resume = `/queues/api/queues/${QUEUE}/resume`;
  const clean = `/queues/api/queues/${QUEUE}/clean/delayed`;
  const removal = () => `/queues/api/queues/${QUEUE}/${removable.id}/clean`;
  const replay = '/api/dead-letters/replay';

  it('without the operator credential get 401 or 403 and change nothing', async () => {
    const before = await pipelineState();
    for (const path of [pause, clean, removal(), replay]) {
      const method = path === replay ? 'POST' : 'PUT';
      const anonymous = await call(method, path);
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await anonymous.json()) as { error: string }).error).toBe('unauthorized');
      expect((await call(method, path, { token: WRONG })).status, path).toBe(403);
      expect((await call(method, path, { token: VIEWER })).status, path).toBe(403);
    }
    // No GET changes anything: the actions have no GET form.
    expect((await call('GET', pause, { token: ADMIN })).status).toBe(404);
    expect(await pipelineState()).toEqual(before);
    expect(before.paused).toBe(false);
    expect(before.jobs).toEqual([String(removable.id), String(cleanable.id)].sort());
    await runsAJob();
  });

  it('with it each works and leaves one audit row with who, where and how it went', async () => {
    const offset = await topicOffset();
    const earlier = (await auditRows()).length;
    expect((await call('PUT', pause, { token: ADMIN, forwardedFor: '198.51.100.4' })).status).toBe(200);
    expect(await queue.isPaused()).toBe(true);
    expect((await call('PUT', resume, { token: ALICE })).status).toBe(200);
    expect(await queue.isPaused()).toBe(false);
    expect((await call('PUT', removal(), { token: ADMIN })).status).toBe(204);
    expect(await queue.getJob(String(removable.id))).toBeUndefined();
    expect((await call('PUT', clean, { token: ADMIN })).status).toBe(200);
    expect(await queue.getDelayedCount()).toBe(0);
    const replayAnswer = await call('POST', replay, { token: ADMIN, body: { topic } });
    expect(replayAnswer.status).toBe(200);
    expect(await replayAnswer.json()).toMatchObject({ count: 1 });
    expect(await topicOffset()).toBe(offset + 1);
    expect(await replayed()).toBe(1);

    const rows = (await auditRows()).slice(earlier);
    expect(rows.map((r) => [r.action, r.credential_id, r.auth_method, r.status, r.outcome])).toEqual([
      ['queue.pause', 'admin', 'bearer', 200, 'ok'],
      ['queue.resume', 'alice', 'bearer', 200, 'ok'],
      ['job.clean', 'admin', 'bearer', 204, 'ok'],
      ['queue.clean', 'admin', 'bearer', 200, 'ok'],
      ['dead-letters.replay', 'admin', 'bearer', 200, 'ok'],
    ]);
    expect(new Set(rows.map((r) => r.action_id)).size).toBe(5);
    // The trusted proxy's X-Forwarded-For names the client; otherwise the connection's address.
    expect(rows.map((r) => r.remote_address)).toEqual([
      '198.51.100.4',
      '127.0.0.1',
      '127.0.0.1',
      '127.0.0.1',
      '127.0.0.1',
    ]);
    expect(JSON.parse(rows[0]?.target ?? '')).toEqual({ queueName: QUEUE });
    expect(JSON.parse(rows[2]?.target ?? '')).toEqual({ queueName: QUEUE, jobId: String(removable.id) });
    expect(JSON.parse(rows[4]?.details ?? '')).toMatchObject({ topic, count: 1, dryRun: false });

    // The dashboard's list shows the same actions, newest first.
    const listed = (await (await call('GET', '/api/operator-actions?limit=5', { token: VIEWER })).json()) as {
      actions: { action: string; credentialId: string }[];
    };
    expect(listed.actions.map((a) => a.action)).toEqual([
      'dead-letters.replay',
      'queue.clean',
      'job.clean',
      'queue.resume',
      'queue.pause',
    ]);
    // Logged too, and never with a secret.
    for (const row of rows)
      for (const msg of ['operator action started', 'operator action'])
        expect(logs.filter((l) => l.includes(`"msg":"${msg}"`) && l.includes(row.action_id))).toHaveLength(1);
    await runsAJob();
  });

  it('believes X-Forwarded-For only when the proxy is trusted', async () => {
    const direct = await startTestMonitor({ MONITOR_ADMIN_TOKEN: ADMIN });
    const url = `http://127.0.0.1:${direct.port}`;
    expect((await call('PUT', pause, { url, token: ADMIN, forwardedFor: '198.51.100.9' })).status).toBe(200);
    expect((await call('PUT', resume, { url, token: ADMIN, forwardedFor: '198.51.100.9' })).status).toBe(200);
    const rows = (await auditRows()).slice(-2);
    expect(rows.map((r) => r.remote_address)).toEqual(['127.0.0.1', '127.0.0.1']);
  });

  it('is refused, changing nothing, when the audit cannot be written', async () => {
    const [closed] = (await freePorts(1)) as [number];
    const { createClickHouse } = await import('@dossier/clickhouse');
    const unreachable = await createClickHouse({
      url: `http://127.0.0.1:${closed}`,
      requestTimeoutMs: 2_000,
    });
    const blind = await startTestMonitor({ MONITOR_ADMIN_TOKEN: ADMIN }, { clickhouse: unreachable });
    const answer = await call('PUT', pause, { url: `http://127.0.0.1:${blind.port}`, token: ADMIN });
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { error: string }).error).toBe('audit_unavailable');
    expect(await queue.isPaused()).toBe(false);
    await unreachable.close();
  });

  it('answers 403 for every change when no operator credential is configured', async () => {
    const open = await startTestMonitor({});
    const answer = await call('PUT', pause, { url: `http://127.0.0.1:${open.port}`, token: ADMIN });
    expect(answer.status).toBe(403);
    expect(((await answer.json()) as { message: string }).message).toMatch(/MONITOR_ADMIN_TOKEN/);
    expect(await queue.isPaused()).toBe(false);
  });
});

describe('Bull Board', () => {
  interface QueuesBody {
    queues: { name: string; readOnlyMode: boolean; allowRetries: boolean }[];
  }
  it('is read-only without an operator credential and writable with one', async () => {
    const anonymous = (await (
      await call('GET', '/queues/api/queues', { token: VIEWER })
    ).json()) as QueuesBody;
    expect(anonymous.queues.map((q) => [q.name, q.readOnlyMode, q.allowRetries])).toEqual([
      [QUEUE, true, false],
    ]);
    const operator = (await (await call('GET', '/queues/api/queues', { token: ADMIN })).json()) as QueuesBody;
    expect(operator.queues.map((q) => [q.name, q.readOnlyMode, q.allowRetries])).toEqual([
      [QUEUE, false, true],
    ]);
  });
});

describe('browser sessions', () => {
  const pause = `/queues/api/queues/${QUEUE}/pause`;
  const resume = `/queues/api/queues/${QUEUE}/resume`;

  function login(token: string, headers: Record<string, string> = {}) {
    return fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base, ...headers },
      body: new URLSearchParams({ token, next: '/queues', lang: 'en' }).toString(),
    });
  }
  const cookieOf = (res: Response) => (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

  it('serves the login page in Vietnamese by default and in English on ?lang=en', async () => {
    const vi = await call('GET', '/login');
    expect(vi.status).toBe(200);
    expect(vi.headers.get('content-security-policy')).toContain("form-action 'self'");
    const viText = await vi.text();
    expect(viText).toContain('<html lang="vi">');
    expect(viText).toContain('Đăng nhập vận hành');
    expect(await (await call('GET', '/login?lang=en')).text()).toContain('Operator sign-in');
  });

  it('exchanges the token for an HttpOnly, SameSite=Strict, expiring cookie; changes need a same-origin page', async () => {
    const forged = await login(ADMIN, { origin: 'http://attacker.example' });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('set-cookie')).toBeNull();
    const wrong = await login(WRONG);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('Wrong token.');

    const ok = await login(ADMIN);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/queues');
    const setCookie = ok.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(
      /^monitor_session=[\w-]{43}; Path=\/; Max-Age=28800; HttpOnly; SameSite=Strict$/,
    );
    const cookie = cookieOf(ok);

    const session = (await (await call('GET', '/api/session', { cookie })).json()) as Record<string, unknown>;
    expect(session).toMatchObject({ role: 'operator', credentialId: 'admin', via: 'session' });

    const before = (await auditRows()).length;
    expect((await call('PUT', pause, { cookie })).status).toBe(403); // no Origin: not from our page
    expect((await call('PUT', pause, { cookie, origin: 'http://attacker.example' })).status).toBe(403);
    expect(await queue.isPaused()).toBe(false);
    expect((await call('PUT', pause, { cookie, origin: base })).status).toBe(200);
    expect(await queue.isPaused()).toBe(true);
    expect((await call('PUT', resume, { cookie, origin: base })).status).toBe(200);
    const rows = (await auditRows()).slice(before);
    expect(rows.map((r) => [r.action, r.credential_id, r.auth_method])).toEqual([
      ['queue.pause', 'admin', 'session'],
      ['queue.resume', 'admin', 'session'],
    ]);

    const signedIn = await (await call('GET', '/login?lang=en', { cookie })).text();
    expect(signedIn).toContain('Signed in with credential');
    const logout = await fetch(`${base}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'lang=en',
    });
    expect(logout.status).toBe(303);
    expect(logout.headers.get('set-cookie')).toMatch(/^monitor_session=; Path=\/; Max-Age=0/);
    expect((await call('PUT', pause, { cookie, origin: base })).status).toBe(401);
    expect(await queue.isPaused()).toBe(false);
  });

  it('marks the cookie Secure when a trusted proxy says the browser used TLS', async () => {
    const ok = await login(ADMIN, { 'x-forwarded-proto': 'https', origin: base.replace('http:', 'https:') });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('set-cookie')).toMatch(/; Secure$/);
  });

  it('rate-limits wrong credentials per address and logs them without the secret', async () => {
    const attacker = '203.0.113.9';
    for (let i = 0; i < LOGIN_FAILURE_LIMIT.maxFailures; i++)
      expect((await login(`${WRONG}${i}`, { 'x-forwarded-for': attacker })).status).toBe(401);
    const limited = await login(ADMIN, { 'x-forwarded-for': attacker });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await call('PUT', pause, { token: ADMIN, forwardedFor: attacker })).status).toBe(429);
    expect(await queue.isPaused()).toBe(false);
    // Another address is not affected.
    expect((await login(ADMIN, { 'x-forwarded-for': '203.0.113.10' })).status).toBe(303);

    const refused = logs.filter((l) => l.includes('"msg":"login refused"') && l.includes(attacker));
    expect(refused.length).toBeGreaterThanOrEqual(LOGIN_FAILURE_LIMIT.maxFailures + 1);
    for (const line of logs) for (const secret of SECRETS) expect(line).not.toContain(secret);
    const metrics = await (await call('GET', '/metrics', { token: VIEWER })).text();
    expect(metrics).toMatch(/monitor_auth_denials_total\{reason="rate_limited"[^}]*\} [1-9]/);
  });
});

describe('with a viewer token', () => {
  it('needs a credential to read, but not for health, login or assets', async () => {
    for (const path of ['/api/pipeline', '/metrics', '/api/operator-actions', '/queues/api/queues'])
      expect((await call('GET', path)).status, path).toBe(401);
    for (const path of ['/api/pipeline', '/metrics', '/api/operator-actions'])
      expect((await call('GET', path, { token: VIEWER })).status, path).toBe(200);
    for (const path of ['/healthz', '/login', '/assets/app.css', '/api/session'])
      expect((await call('GET', path)).status, path).toBe(200);
    const page = await fetch(`${base}/?lang=en`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2F%3Flang%3Den&lang=en');
  });

  it('keeps reading open when no viewer token is configured', async () => {
    const open = await startTestMonitor({ MONITOR_ADMIN_TOKEN: ADMIN });
    const url = `http://127.0.0.1:${open.port}`;
    expect((await call('GET', '/api/pipeline', { url })).status).toBe(200);
    expect((await call('GET', '/metrics', { url })).status).toBe(200);
    // A wrong token on an open route is ignored rather than answered: no oracle for guessing one.
    expect((await call('GET', '/api/pipeline', { url, token: WRONG })).status).toBe(200);
  });
});

describe('an action whose audit row cannot be written', () => {
  const pause = `/queues/api/queues/${QUEUE}/pause`;
  const resume = `/queues/api/queues/${QUEUE}/resume`;

  it('is logged with every column, counted and flagged when ClickHouse refuses the row after the action', async () => {
    const migration = (await loadMigrations()).find((m) => m.name === '0060_create_operator_actions.sql');
    expect(migration).toBeDefined();
    // ClickHouse answers (the action may run) but the table is gone, so every write of the row fails.
    await store.clickhouse.command({ query: 'DROP TABLE operator_actions_v1' });
    try {
      const answer = await call('PUT', pause, { token: ADMIN });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-audit')).toBe('failed');
      expect(await queue.isPaused()).toBe(true);
      const lost = logs.filter((l) => l.includes('"msg":"operator action not audited"'));
      expect(lost).toHaveLength(1);
      expect(JSON.parse(lost[0] ?? '{}')).toMatchObject({
        action: 'queue.pause',
        credential_id: 'admin',
        remote_address: '127.0.0.1',
        outcome: 'ok',
      });
      const metrics = await (await call('GET', '/metrics', { token: VIEWER })).text();
      expect(metrics).toMatch(/monitor_audit_failures_total(\{[^}]*\})? 1/);
    } finally {
      await store.clickhouse.command({ query: migration?.sql ?? '' });
      await call('PUT', resume, { token: ADMIN });
    }
    expect(await queue.isPaused()).toBe(false);
  });
});
