import { createOpsHandler } from '@dossier/observability';
import type { FastifyInstance } from 'fastify';
import type { MonitorContext } from './context.ts';

/**
 * The observability package's handler answers on the raw request, so the embedded process serves exactly
 * the same /healthz, /readyz and /metrics (one combined registry and readiness) as every other service.
 */
export function registerOpsRoutes(app: FastifyInstance, ctx: MonitorContext): void {
  const handle = createOpsHandler({ registry: ctx.registry, health: ctx.health });
  for (const path of ['/healthz', '/readyz', '/metrics']) {
    app.get(path, async (request, reply) => {
      // fastify still runs onResponse for a hijacked reply, so the request is counted like any other.
      reply.hijack();
      await handle(request.raw, reply.raw);
    });
  }
}
