// The monitor's one guard. Every route gets an access level when it is registered: GET and HEAD read,
// anything else operates (changes the running pipeline) unless it is one of the two credential-exchange
// routes. A route added later, by anyone, is guarded without asking for it; registering a state-changing
// route as readable fails at start.

import type { Logger } from '@dossier/observability';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import type { Credentials, Principal } from './credentials.ts';
import type { FailureLimiter } from './failure-limiter.ts';
import { bearerToken, claimedOrigin, cookieValue, ownOrigin, SESSION_COOKIE } from './http.ts';
import type { SessionStore } from './sessions.ts';

/** `public`: anyone (health, login); `read`: anyone, or a viewer when a viewer token is set; `operate`: an operator. */
export type Access = 'public' | 'read' | 'operate';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** The audit's name for what an operator route does (default: derived from method and path). */
    action?: string;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** The only non-GET routes that are not operator actions: they exchange a credential for a session and back. */
export const CREDENTIAL_EXCHANGE_ROUTES: ReadonlySet<string> = new Set(['POST /login', 'POST /logout']);

export interface RouteAccess {
  method: string;
  url: string;
  access: Access;
  action: string;
}

export const DENIAL_REASONS = [
  'missing_credential',
  'wrong_token',
  'viewer_only',
  'operators_disabled',
  'rate_limited',
  'cross_origin',
] as const;
export type DenialReason = (typeof DENIAL_REASONS)[number];

export interface AccessControlDeps {
  credentials: Credentials;
  sessions: SessionStore;
  limiter: FailureLimiter;
  logger: Logger;
  denials: Counter<'reason'>;
}

export interface AccessControl {
  /** Every route registered so far with its access level, for the route-enumeration test and docs. */
  readonly routes: readonly RouteAccess[];
  /** Who these headers authenticate, without counting a failure: for Bull Board's own hooks. */
  principalOf(headers: FastifyRequest['headers']): Principal | undefined;
}

const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * Bull Board's API routes get names an operator reads in the audit: `queue.pause`, `queue.clean`,
 * `job.clean` (removal), `job.retry`, `scheduler.remove`, … derived from the path so new versions need no list.
 */
export function actionName(method: string, url: string): string {
  const board = /^\/queues\/api\/queues(\/.*)?$/.exec(url);
  if (!board) return `${method} ${url}`;
  const segments = (board[1] ?? '').split('/').filter(Boolean);
  const words = segments.filter((s) => !s.startsWith(':') && s !== 'job-schedulers');
  const subject = segments.includes(':jobId')
    ? 'job'
    : segments.includes(':schedulerId')
      ? 'scheduler'
      : segments.includes(':queueName')
        ? 'queue'
        : 'queues';
  return `${subject}.${words.join('-') || method.toLowerCase()}`;
}

interface Denial {
  status: 401 | 403 | 429;
  reason: DenialReason;
  error: string;
  message: string;
  retryAfterS?: number;
}

/**
 * Adds the access hooks to the root instance; call it before registering any route or plugin so every
 * route, Bull Board's included, passes through them.
 */
export function installAccessControl(app: FastifyInstance, deps: AccessControlDeps): AccessControl {
  const { credentials, sessions, limiter, logger } = deps;
  const routes: RouteAccess[] = [];

  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat().map((m) => String(m).toUpperCase());
    const reads = methods.every((m) => READ_METHODS.has(m));
    const access: Access = route.config?.access ?? (reads ? 'read' : 'operate');
    for (const method of methods) {
      if (
        !READ_METHODS.has(method) &&
        access !== 'operate' &&
        !CREDENTIAL_EXCHANGE_ROUTES.has(`${method} ${route.url}`)
      )
        throw new Error(
          `${method} ${route.url} changes state, so it must be an operator route: remove config.access '${access}'`,
        );
    }
    const action = route.config?.action ?? actionName(methods[0] ?? 'GET', route.url);
    route.config = { ...route.config, access, action };
    for (const method of methods) routes.push({ method, url: route.url, access, action });
  });

  function principalOf(headers: FastifyRequest['headers']): Principal | undefined {
    const bearer = bearerToken(headers.authorization);
    if (bearer) {
      const grant = credentials.check(bearer);
      return grant && { ...grant, via: 'bearer' };
    }
    const cookie = cookieValue(headers.cookie, SESSION_COOKIE);
    const session = cookie === undefined ? undefined : sessions.find(cookie);
    return session && { role: session.role, credentialId: session.credentialId, via: 'session' };
  }

  function decide(request: FastifyRequest, access: Access): Denial | undefined {
    if (access === 'public') return undefined;
    if (access === 'operate' && !credentials.operatorsConfigured)
      return {
        status: 403,
        reason: 'operators_disabled',
        error: 'operator_actions_disabled',
        message:
          'this changes the running pipeline and no operator credential is configured: set MONITOR_ADMIN_TOKEN (npm start generates one into DATA_DIR)',
      };
    const needsCredential = access === 'operate' || credentials.viewerRequired;
    const bearer = bearerToken(request.headers.authorization);
    if (bearer !== undefined && !needsCredential) {
      // Nothing to guard: a wrong token is ignored here, so open routes are no oracle for guessing one.
      request.principal = principalOf(request.headers);
      return undefined;
    }
    if (bearer !== undefined) {
      const wait = limiter.blockedFor(request.ip);
      if (wait > 0)
        return {
          status: 429,
          reason: 'rate_limited',
          error: 'too_many_failures',
          message: 'too many wrong credentials from this address: try again later',
          retryAfterS: Math.ceil(wait / 1000),
        };
      const grant = bearer === null ? undefined : credentials.check(bearer);
      if (!grant) {
        limiter.fail(request.ip);
        return {
          status: 403,
          reason: 'wrong_token',
          error: 'forbidden',
          message: 'the token is not MONITOR_ADMIN_TOKEN nor any other configured credential',
        };
      }
      request.principal = { ...grant, via: 'bearer' };
    } else {
      request.principal = principalOf(request.headers);
      // A cookie rides along on any request the browser makes to this site: a change made with one must
      // come from a page of this site (SameSite=Strict already keeps other sites' requests cookie-less).
      if (request.principal && access === 'operate' && claimedOrigin(request) !== ownOrigin(request))
        return {
          status: 403,
          reason: 'cross_origin',
          error: 'cross_origin',
          message: `a change with a session cookie must come from a page of ${ownOrigin(request)}`,
        };
    }
    const role = request.principal?.role;
    if (access === 'operate' && role === 'viewer')
      return {
        status: 403,
        reason: 'viewer_only',
        error: 'forbidden',
        message: 'the viewer credential can read, not change: use an operator credential',
      };
    if (role === undefined && needsCredential)
      return {
        status: 401,
        reason: 'missing_credential',
        error: 'unauthorized',
        message:
          access === 'operate'
            ? 'this changes the running pipeline: send Authorization: Bearer <MONITOR_ADMIN_TOKEN> or log in at /login'
            : 'reading needs a credential: send Authorization: Bearer <token> or log in at /login',
      };
    return undefined;
  }

  function deny(request: FastifyRequest, reply: FastifyReply, denial: Denial) {
    deps.denials.inc({ reason: denial.reason });
    // Never the token: the address, the route and why is what an operator needs to see an attack.
    logger.warn(
      { remote: request.ip, method: request.method, route: request.routeOptions.url, reason: denial.reason },
      'request denied',
    );
    const wantsPage =
      denial.status === 401 && request.method === 'GET' && /text\/html/.test(request.headers.accept ?? '');
    if (wantsPage) {
      const lang = (request.query as { lang?: unknown } | undefined)?.lang === 'en' ? '&lang=en' : '';
      return reply.redirect(`/login?next=${encodeURIComponent(request.url)}${lang}`, 303);
    }
    if (denial.status === 401) reply.header('www-authenticate', 'Bearer realm="dossier-monitor"');
    if (denial.retryAfterS !== undefined) reply.header('retry-after', String(denial.retryAfterS));
    return reply.code(denial.status).send({ error: denial.error, message: denial.message });
  }

  app.addHook('onRequest', async (request, reply) => {
    // An unmatched URL (404) reads nothing, but with a viewer token it still needs the viewer's credential.
    const access = request.routeOptions.config?.access ?? 'read';
    const denial = decide(request, access);
    if (denial) return deny(request, reply, denial);
  });

  return { routes, principalOf };
}
