import type { Logger } from '@dossier/observability';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import type { AccessControl, DenialReason } from '../auth/access.ts';
import type { Credentials, Principal } from '../auth/credentials.ts';
import type { FailureLimiter } from '../auth/failure-limiter.ts';
import {
  claimedOrigin,
  cookieValue,
  ownOrigin,
  SESSION_COOKIE,
  safeNext,
  sessionCookie,
} from '../auth/http.ts';
import type { SessionStore } from '../auth/sessions.ts';
import { type Lang, LOCALES, MESSAGES, type MessageKey, resolveLang } from '../i18n.ts';
import { escapeHtml } from '../render-page.ts';

export interface LoginDeps {
  access: AccessControl;
  credentials: Credentials;
  sessions: SessionStore;
  limiter: FailureLimiter;
  sessionTtlMs: number;
  logger: Logger;
  denials: Counter<'reason'>;
}

const LOGIN_CSP = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'";

interface PageState {
  lang: Lang;
  next: string;
  principal?: Principal & { expiresAt?: number };
  error?: string;
}

function loginPage({ lang, next, principal, error }: PageState): string {
  const t = (key: MessageKey) => escapeHtml(MESSAGES[lang][key]);
  const langQuery = lang === 'en' ? '&lang=en' : '';
  const other = lang === 'en' ? 'vi' : 'en';
  const switchHref = `/login?next=${encodeURIComponent(next)}${other === 'en' ? '&lang=en' : ''}`;
  const hidden = `<input type="hidden" name="next" value="${escapeHtml(next)}"><input type="hidden" name="lang" value="${lang}">`;
  const expires =
    principal?.expiresAt === undefined
      ? ''
      : ` · ${t('login.expires')} <time data-testid="session-expires">${escapeHtml(
          new Date(principal.expiresAt).toLocaleString(LOCALES[lang], { timeZone: 'Asia/Ho_Chi_Minh' }),
        )}</time>`;
  const body = principal
    ? `<p data-testid="session-state">${t('login.signedInAs')} <strong data-testid="session-credential">${escapeHtml(
        principal.credentialId,
      )}</strong> (${t(`login.role.${principal.role}`)})${expires}</p>
      <p class="login-actions"><a class="toplink" href="${escapeHtml(next)}" data-testid="login-continue">${t('login.continue')}</a></p>
      <form method="post" action="/logout" data-testid="logout-form">${hidden}<button type="submit" data-testid="logout">${t('login.logout')}</button></form>`
    : `<form method="post" action="/login" data-testid="login-form">
        <label for="token">${t('login.token')}</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required data-testid="login-token">
        ${hidden}
        <button type="submit" data-testid="login-submit">${t('login.submit')}</button>
      </form>`;
  return `<!doctype html>
<html lang="${lang}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${t('login.title')}</title>
  <link rel="stylesheet" href="/assets/app.css">
  <link rel="stylesheet" href="/assets/login.css">
</head>
<body class="login-page">
  <main class="login panel">
    <h1>${t('login.title')}</h1>
    <p class="login-intro">${t('login.intro')}</p>
    ${error ? `<p class="login-error" role="alert" data-testid="login-error">${escapeHtml(error)}</p>` : ''}
    ${body}
    <p class="login-links"><a href="/${langQuery ? '?lang=en' : ''}">${t('login.dashboard')}</a> · <a href="${escapeHtml(switchHref)}" data-testid="lang-toggle">${MESSAGES[lang].switchLang}</a></p>
  </main>
</body>
</html>`;
}

function sendPage(reply: FastifyReply, status: number, state: PageState) {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', LOGIN_CSP)
    .send(loginPage(state));
}

const field = (body: unknown, name: string): unknown =>
  body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;

/**
 * The browser's way in: a page that exchanges a token for a session cookie (HttpOnly, SameSite=Strict,
 * Secure over TLS, expiring), and logout. Both are POST: no GET changes anything.
 */
export function registerLoginRoutes(app: FastifyInstance, deps: LoginDeps): void {
  const { sessions, limiter, logger } = deps;
  const ttlSeconds = Math.floor(deps.sessionTtlMs / 1000);

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 8_192 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );

  const denied = (request: FastifyRequest, reason: DenialReason) => {
    deps.denials.inc({ reason });
    logger.warn({ remote: request.ip, route: '/login', reason }, 'login refused');
  };

  app.get('/login', { config: { access: 'public' } }, async (request, reply) => {
    const query = request.query as { lang?: unknown; next?: unknown };
    const principal = deps.access.principalOf(request.headers);
    const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
    const expiresAt = principal?.via === 'session' && cookie ? sessions.find(cookie)?.expiresAt : undefined;
    return sendPage(reply, 200, {
      lang: resolveLang(query.lang),
      next: safeNext(query.next),
      ...(principal && { principal: { ...principal, expiresAt } }),
    });
  });

  app.post('/login', { config: { access: 'public' } }, async (request, reply) => {
    const lang = resolveLang(field(request.body, 'lang') ?? (request.query as { lang?: unknown }).lang);
    const next = safeNext(field(request.body, 'next'));
    const origin = claimedOrigin(request);
    if (origin !== undefined && origin !== ownOrigin(request)) {
      denied(request, 'cross_origin');
      return reply.code(403).send({ error: 'cross_origin', message: 'log in from this site’s own page' });
    }
    const wait = limiter.blockedFor(request.ip);
    if (wait > 0) {
      denied(request, 'rate_limited');
      reply.header('retry-after', String(Math.ceil(wait / 1000)));
      const minutes = String(Math.ceil(wait / 60_000));
      return sendPage(reply, 429, {
        lang,
        next,
        error: MESSAGES[lang]['login.limited'].replace('{minutes}', minutes),
      });
    }
    const token = field(request.body, 'token');
    const grant = typeof token === 'string' && token.length > 0 ? deps.credentials.check(token) : undefined;
    if (!grant) {
      limiter.fail(request.ip);
      denied(request, 'wrong_token');
      return sendPage(reply, 401, { lang, next, error: MESSAGES[lang]['login.failed'] });
    }
    const session = sessions.create(grant);
    logger.info({ credentialId: grant.credentialId, role: grant.role, remote: request.ip }, 'signed in');
    return reply
      .header('set-cookie', sessionCookie(session.token, ttlSeconds, request.protocol === 'https'))
      .header('cache-control', 'no-store')
      .redirect(next, 303);
  });

  app.post('/logout', { config: { access: 'public' } }, async (request, reply) => {
    const origin = claimedOrigin(request);
    if (origin !== undefined && origin !== ownOrigin(request)) {
      denied(request, 'cross_origin');
      return reply.code(403).send({ error: 'cross_origin', message: 'log out from this site’s own page' });
    }
    const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
    const session = cookie === undefined ? undefined : sessions.find(cookie);
    if (cookie !== undefined) sessions.remove(cookie);
    if (session) logger.info({ credentialId: session.credentialId, remote: request.ip }, 'signed out');
    const lang = resolveLang(field(request.body, 'lang') ?? (request.query as { lang?: unknown }).lang);
    return reply
      .header('set-cookie', sessionCookie('', 0, request.protocol === 'https'))
      .redirect(lang === 'en' ? '/login?lang=en' : '/login', 303);
  });

  /** Who the browser is signed in as, for the dashboard's header; never a token. */
  app.get('/api/session', { config: { access: 'public' } }, async (request) => {
    const principal = deps.access.principalOf(request.headers);
    const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
    return {
      role: principal?.role ?? null,
      credentialId: principal?.credentialId ?? null,
      via: principal?.via ?? null,
      expiresAt:
        principal?.via === 'session' && cookie
          ? new Date(sessions.find(cookie)?.expiresAt ?? 0).toISOString()
          : null,
      operatorsConfigured: deps.credentials.operatorsConfigured,
      viewerRequired: deps.credentials.viewerRequired,
    };
  });
}
