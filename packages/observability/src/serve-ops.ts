import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Health } from './health.ts';

export interface OpsHandlerOptions {
  registry: Registry;
  health: Health;
}

/**
 * Handles /healthz, /readyz and /metrics; returns false for any other path so that a larger server
 * (the monitor) can serve the same routes next to its own.
 */
export function createOpsHandler({ registry, health }: OpsHandlerOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      send(res, 200, 'application/json', JSON.stringify({ status: 'ok' }));
      return true;
    }
    if (path === '/readyz') {
      const readiness = await health.readiness();
      send(res, readiness.ready ? 200 : 503, 'application/json', JSON.stringify(readiness));
      return true;
    }
    if (path === '/metrics') {
      send(res, 200, registry.contentType, await registry.metrics());
      return true;
    }
    return false;
  };
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

export async function serveOps(
  options: OpsHandlerOptions & { port: number; host?: string },
): Promise<OpsServer> {
  const handle = createOpsHandler(options);
  const server = createServer((req, res) => {
    handle(req, res)
      .then((handled) => {
        if (!handled) send(res, 404, 'text/plain', 'not found');
      })
      .catch(() => send(res, 500, 'text/plain', 'internal error'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
