import { createOpsHandler } from '@dossier/observability';
import type { FastifyInstance } from 'fastify';
import type { MonitorContext } from './context.ts';

/**
 * The observability package's handler answers on the raw request, so the embedded process serves exactly
 * the same /healthz, /readyz and /metrics (one combined registry and readiness) as every other service.
 */
export function registerOpsRoutes(app: FastifyInstance, ctx: MonitorContext): void {
  const handle = createOpsHandler({ registry: ctx.registry, health: ctx.health });
  // Probes must work without a credential; /metrics is read like the dashboard (viewer token when set).
  for (const path of ['/healthz', '/readyz', '/metrics']) {
    const access = path === '/metrics' ? 'read' : 'public';
    app.get(path, { config: { access } }, async (request, reply) => {
      // fastify still runs onResponse for a hijacked reply, so the request is counted like any other.
      reply.hijack();
      await handle(request.raw, reply.raw);
    });
  }
}
