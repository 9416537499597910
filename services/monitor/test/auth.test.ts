import { ConfigError, loadConfig } from '@dossier/config';
import { describe, expect, it } from 'vitest';
import { actionName } from '../src/auth/access.ts';
import { createCredentials } from '../src/auth/credentials.ts';
import { createFailureLimiter } from '../src/auth/failure-limiter.ts';
import { bearerToken, cookieValue, safeNext, sessionCookie } from '../src/auth/http.ts';
import { createSessionStore } from '../src/auth/sessions.ts';
import { isLoopbackHost, MonitorConfig, MonitorMainConfig } from '../src/config.ts';

const ADMIN = 'admin-token-0123456789';
const ALICE = 'alice-token-0123456789';
const VIEWER = 'viewer-token-0123456789';

function problems(env: Record<string, string>): string {
  try {
    loadConfig(MonitorMainConfig, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join('\n');
    throw err;
  }
  return '';
}

describe('monitor credentials configuration', () => {
  it('listens on loopback by default and needs no credential there', () => {
    expect(loadConfig(MonitorConfig, {}).MONITOR_HOST).toBe('127.0.0.1');
    for (const host of ['127.0.0.1', '127.0.1.1', 'localhost', '::1', '[::1]'])
      expect(problems({ MONITOR_HOST: host }), host).toBe('');
  });

  it('refuses another address without an operator credential, saying what to set', () => {
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'monitor.internal']) {
      const text = problems({ MONITOR_HOST: host });
      expect(text, host).toContain(`MONITOR_ADMIN_TOKEN: MONITOR_HOST=${host} lets other machines reach`);
      expect(text).toContain('bind MONITOR_HOST=127.0.0.1');
    }
    expect(problems({ MONITOR_HOST: '0.0.0.0', MONITOR_ADMIN_TOKEN: ADMIN })).toBe('');
    expect(problems({ MONITOR_HOST: '0.0.0.0', MONITOR_OPERATOR_TOKENS: `alice:${ALICE}` })).toBe('');
    // A viewer token lets nobody change anything, so it does not count.
    expect(problems({ MONITOR_HOST: '0.0.0.0', MONITOR_VIEWER_TOKEN: VIEWER })).toContain(
      'MONITOR_ADMIN_TOKEN',
    );
  });

  it('reads named operator tokens and rejects malformed, short, duplicate or shared ones', () => {
    const config = loadConfig(MonitorConfig, {
      MONITOR_OPERATOR_TOKENS: `alice:${ALICE}, bob.ops:${ADMIN}x`,
    });
    expect([...(config.MONITOR_OPERATOR_TOKENS ?? new Map())]).toEqual([
      ['alice', ALICE],
      ['bob.ops', `${ADMIN}x`],
    ]);
    expect(problems({ MONITOR_OPERATOR_TOKENS: ALICE })).toMatch(/name:token/);
    expect(problems({ MONITOR_OPERATOR_TOKENS: 'alice:short' })).toMatch(/alice: at least 16/);
    expect(problems({ MONITOR_OPERATOR_TOKENS: `a:${ALICE},a:${ADMIN}` })).toMatch(/a is named twice/);
    expect(problems({ MONITOR_ADMIN_TOKEN: ALICE, MONITOR_OPERATOR_TOKENS: `alice:${ALICE}` })).toMatch(
      /share a token/,
    );
    expect(problems({ MONITOR_ADMIN_TOKEN: ADMIN, MONITOR_OPERATOR_TOKENS: `admin:${ALICE}` })).toMatch(
      /MONITOR_OPERATOR_TOKENS: the id admin/,
    );
    expect(problems({ MONITOR_ADMIN_TOKEN: ADMIN, MONITOR_VIEWER_TOKEN: ADMIN })).toMatch(
      /viewer token must differ/,
    );
    expect(problems({ MONITOR_ADMIN_TOKEN: 'short' })).toMatch(/MONITOR_ADMIN_TOKEN: at least 16/);
  });

  it('reads the trusted proxies as addresses, a hop count or true', () => {
    const trust = (v: string) => loadConfig(MonitorConfig, { MONITOR_TRUST_PROXY: v }).MONITOR_TRUST_PROXY;
    expect(trust('10.0.0.2, 10.0.1.0/24')).toEqual(['10.0.0.2', '10.0.1.0/24']);
    expect(trust('1')).toBe(1);
    expect(trust('true')).toBe(true);
    expect(loadConfig(MonitorConfig, {}).MONITOR_TRUST_PROXY).toBeUndefined();
  });

  it('knows loopback from everything else', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(isLoopbackHost('localhost.example.org')).toBe(false);
  });
});

describe('credentials', () => {
  const credentials = createCredentials({
    adminToken: ADMIN,
    operatorTokens: new Map([['alice', ALICE]]),
    viewerToken: VIEWER,
  });

  it('grants each token its role and id, and nothing to anything else', () => {
    expect(credentials.check(ADMIN)).toEqual({ role: 'operator', credentialId: 'admin' });
    expect(credentials.check(ALICE)).toEqual({ role: 'operator', credentialId: 'alice' });
    expect(credentials.check(VIEWER)).toEqual({ role: 'viewer', credentialId: 'viewer' });
    for (const wrong of ['', ADMIN.slice(0, -1), `${ADMIN} `, ADMIN.toUpperCase()])
      expect(credentials.check(wrong)).toBeUndefined();
    expect(credentials.operatorsConfigured).toBe(true);
    expect(credentials.viewerRequired).toBe(true);
  });

  it('with only a viewer token, no operator is configured', () => {
    const viewerOnly = createCredentials({ viewerToken: VIEWER });
    expect(viewerOnly.operatorsConfigured).toBe(false);
    expect(createCredentials({}).viewerRequired).toBe(false);
  });
});

describe('sessions', () => {
  it('find a live session, forget it on logout or expiry, and keep within their budget', () => {
    let now = 0;
    const sessions = createSessionStore({ ttlMs: 1_000, maxSessions: 2, now: () => now });
    const a = sessions.create({ role: 'operator', credentialId: 'admin' });
    expect(a.token).toMatch(/^[\w-]{43}$/);
    expect(a.expiresAt).toBe(1_000);
    expect(sessions.find(a.token)).toMatchObject({ credentialId: 'admin', role: 'operator' });
    expect(sessions.find(`${a.token}x`)).toBeUndefined();
    sessions.remove(a.token);
    expect(sessions.find(a.token)).toBeUndefined();

    const b = sessions.create({ role: 'viewer', credentialId: 'viewer' });
    const c = sessions.create({ role: 'operator', credentialId: 'alice' });
    const d = sessions.create({ role: 'operator', credentialId: 'admin' });
    expect(sessions.size).toBe(2);
    expect(sessions.find(b.token)).toBeUndefined(); // the oldest made room
    expect(sessions.find(c.token)).toBeDefined();
    now = 999;
    expect(sessions.find(d.token)).toBeDefined();
    now = 1_000;
    expect(sessions.find(d.token)).toBeUndefined();
  });
});

describe('failure limiter', () => {
  it('blocks an address after too many failures until its window ends, and no other address', () => {
    let now = 0;
    const limiter = createFailureLimiter({
      maxFailures: 3,
      windowMs: 60_000,
      maxAddresses: 2,
      now: () => now,
    });
    for (let i = 0; i < 3; i++) {
      expect(limiter.blockedFor('a')).toBe(0);
      limiter.fail('a');
    }
    now = 10_000;
    expect(limiter.blockedFor('a')).toBe(50_000);
    expect(limiter.blockedFor('b')).toBe(0);
    now = 60_000;
    expect(limiter.blockedFor('a')).toBe(0);
    limiter.fail('b');
    limiter.fail('c');
    limiter.fail('d'); // over budget: the oldest address is forgotten
    expect(limiter.blockedFor('b')).toBe(0);
  });
});

describe('http helpers', () => {
  it('read cookies and bearer tokens', () => {
    expect(cookieValue('a=1; monitor_session=xyz; b=2', 'monitor_session')).toBe('xyz');
    expect(cookieValue('monitor_session_other=1', 'monitor_session')).toBeUndefined();
    expect(cookieValue(undefined, 'monitor_session')).toBeUndefined();
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('write the session cookie HttpOnly and SameSite=Strict, Secure over TLS', () => {
    expect(sessionCookie('v', 60, false)).toBe(
      'monitor_session=v; Path=/; Max-Age=60; HttpOnly; SameSite=Strict',
    );
    expect(sessionCookie('v', 60, true)).toMatch(/; Secure$/);
  });

  it('only return to local paths after signing in', () => {
    expect(safeNext('/queues/queue/kpi-aggregator')).toBe('/queues/queue/kpi-aggregator');
    for (const bad of ['https://evil.example/', '//evil.example', '/\\evil.example', 42, undefined])
      expect(safeNext(bad)).toBe('/');
  });
});

describe('action names', () => {
  it("name Bull Board's actions for the audit", () => {
    const names = {
      'PUT /queues/api/queues/:queueName/pause': 'queue.pause',
      'PUT /queues/api/queues/:queueName/clean/:queueStatus': 'queue.clean',
      'PUT /queues/api/queues/:queueName/:jobId/clean': 'job.clean',
      'PUT /queues/api/queues/:queueName/:jobId/retry': 'job.retry',
      'PUT /queues/api/queues/pause': 'queues.pause',
      'PUT /queues/api/queues/:queueName/job-schedulers/:schedulerId/remove': 'scheduler.remove',
      'PATCH /queues/api/queues/:queueName/job-schedulers/:schedulerId': 'scheduler.patch',
      'POST /api/loaders/figures': 'POST /api/loaders/figures',
    };
    for (const [route, name] of Object.entries(names)) {
      const [method, url] = route.split(' ') as [string, string];
      expect(actionName(method, url), route).toBe(name);
    }
  });
});
