// Operators in a browser sign in on /login and act through a session cookie that only our own pages can
// use; wrong credentials are rate-limited per address; a viewer token closes reading to everyone else.
import { describe, expect, it } from 'vitest';
import { LOGIN_FAILURE_LIMIT } from '../src/index.ts';
import {
  ADMIN,
  auditRows,
  base,
  call,
  logs,
  QUEUE,
  queue,
  SECRETS,
  startTestMonitor,
  useOperatorFixture,
  VIEWER,
  WRONG,
} from './operator-fixture.ts';

useOperatorFixture();

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
    for (const path of ['/healthz', '/login', '/assets/app.css', '/assets/login.css', '/api/session'])
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
