import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { dockerReachable } from './docker.ts';
import type { StartedService } from './start-kafka.ts';

const COMPOSE_FILE = fileURLToPath(new URL('../../docker-compose.yml', import.meta.url));

export interface StartedClickHouse extends StartedService {
  /** An `http://` server URL, or '' when each test file uses embedded chDB. */
  url: string;
}

/** The image docker-compose.yml deploys: tests on a server run the version production runs. */
export function composeClickHouseImage(): string {
  const compose = parse(readFileSync(COMPOSE_FILE, 'utf8')) as {
    services: { clickhouse?: { image?: string } };
  };
  const image = compose.services.clickhouse?.image;
  if (!image) throw new Error('docker-compose.yml has no clickhouse service image');
  return image;
}

/**
 * `CLICKHOUSE_URL` if set; else one ClickHouse server container per run when Docker answers (test
 * files each get their own database in it); else '' and every test file opens chDB in a temp dir.
 */
export async function startClickHouse(): Promise<StartedClickHouse> {
  const fromEnv = process.env.CLICKHOUSE_URL?.trim();
  if (fromEnv) return { source: 'env', url: fromEnv, stop: async () => {} };
  if (!(await dockerReachable())) return { source: 'local', url: '', stop: async () => {} };
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(composeClickHouseImage())
    .withEnvironment({ CLICKHOUSE_USER: 'test', CLICKHOUSE_PASSWORD: 'test' })
    .withExposedPorts(8123)
    .withWaitStrategy(Wait.forHttp('/ping', 8123).forStatusCode(200))
    .withStartupTimeout(120_000)
    .start();
  return {
    source: 'testcontainers',
    url: `http://test:test@${container.getHost()}:${container.getMappedPort(8123)}`,
    stop: async () => {
      await container.stop();
    },
  };
}
