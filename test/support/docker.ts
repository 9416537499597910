import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';

let cached: Promise<boolean> | undefined;

/**
 * True when a Docker engine answers `/_ping` within a second. testcontainers' own discovery tries
 * several strategies with long timeouts, so this cheap probe decides first and never hangs a run.
 * `TESTCONTAINERS=0` forces the native path even when Docker is there.
 */
export function dockerReachable(): Promise<boolean> {
  cached ??= probe();
  return cached;
}

async function probe(): Promise<boolean> {
  if (process.env.TESTCONTAINERS === '0') return false;
  for (const target of candidates()) {
    if (await ping(target)) return true;
  }
  return false;
}

type Target = { socketPath: string } | { host: string; port: number };

function candidates(): Target[] {
  const dockerHost = process.env.DOCKER_HOST;
  if (dockerHost?.startsWith('unix://')) return [{ socketPath: dockerHost.slice('unix://'.length) }];
  if (dockerHost?.startsWith('tcp://')) {
    const url = new URL(dockerHost.replace('tcp://', 'http://'));
    return [{ host: url.hostname, port: Number(url.port || 2375) }];
  }
  const sockets = [
    '/var/run/docker.sock',
    process.env.XDG_RUNTIME_DIR && join(process.env.XDG_RUNTIME_DIR, 'docker.sock'),
    join(homedir(), '.docker/run/docker.sock'),
  ];
  return sockets
    .filter((s): s is string => Boolean(s) && existsSync(s as string))
    .map((socketPath) => ({ socketPath }));
}

function ping(target: Target): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/_ping', method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
