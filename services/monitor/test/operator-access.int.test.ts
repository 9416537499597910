// Nobody changes the running pipeline without the operator's credential: every registered route that is
// not GET/HEAD is guarded, each change without the credential is refused and changes nothing (real
// BullMQ queue with a real worker, real Kafka, real ClickHouse), and each change with it works and leaves
// exactly one row in operator_actions_v1. Signing in and the viewer token: operator-sessions.int.test.ts.
import { loadMigrations } from '@dossier/clickhouse';
import { createMetricsRegistry } from '@dossier/observability';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { freePorts } from '../../../test/support/free-port.ts';
import { CREDENTIAL_EXCHANGE_ROUTES, installAccessControl } from '../src/auth/access.ts';
import { auditDetails, installOperatorAudit } from '../src/auth/audit.ts';
import { createCredentials } from '../src/auth/credentials.ts';
import { createFailureLimiter } from '../src/auth/failure-limiter.ts';
import { createSessionStore } from '../src/auth/sessions.ts';
import { LOGIN_FAILURE_LIMIT } from '../src/index.ts';
import { createMonitorMetrics } from '../src/metrics.ts';
import {
  ADMIN,
  ALICE,
  auditRows,
  call,
  cleanable,
  concrete,
  logger,
  logs,
  monitor,
  pipelineState,
  QUEUE,
  queue,
  removable,
  replayed,
  runsAJob,
  startTestMonitor,
  store,
  topic,
  topicOffset,
  useOperatorFixture,
  VIEWER,
  WRONG,
} from './operator-fixture.ts';

useOperatorFixture();

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
