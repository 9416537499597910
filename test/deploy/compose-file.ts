import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AggregatorConfig } from '@dossier/aggregator';
import { MemoryBudgetConfig, MigratorConfig } from '@dossier/clickhouse';
import { IngestorConfig } from '@dossier/ingestor';
import { MonitorMainConfig } from '@dossier/monitor';
import { parse } from 'yaml';
import type { z } from 'zod';
import { REPO } from '../support/test-log.ts';

const run = promisify(execFile);

/** The secrets compose asks for (`${NAME:?…}`): test values, the same in every test of the file. */
export const COMPOSE_SECRETS = {
  APPLICANT_HASH_KEY: 'compose-test-key-0123456789',
  MONITOR_ADMIN_TOKEN: 'compose-admin-token-0123456789',
  DEAD_LETTER_KEY: 'f5'.repeat(32),
};

/** The config schemas each app container's main loads from its environment (each main.ts's loadConfig calls). */
export const APP_CONFIGS: Record<string, z.ZodType[]> = {
  migrator: [MigratorConfig],
  ingestor: [IngestorConfig, MemoryBudgetConfig],
  aggregator: [AggregatorConfig, MemoryBudgetConfig],
  monitor: [MonitorMainConfig, MemoryBudgetConfig],
};

export interface ComposeService {
  image?: string;
  hostname?: string;
  volumes?: (string | { source?: string; target?: string })[];
  command?: string[];
  environment?: Record<string, string | number>;
  profiles?: string[];
}

/** docker-compose.yml as docker-compose resolves it (anchors merged, variables substituted). */
export async function resolvedCompose(
  env: NodeJS.ProcessEnv = { ...process.env, ...COMPOSE_SECRETS },
  files: readonly string[] = ['docker-compose.yml'],
): Promise<{ services: Record<string, ComposeService> }> {
  const args = [...files.flatMap((f) => ['-f', f]), 'config'];
  const { stdout } = await run('docker-compose', args, { env, cwd: REPO });
  return parse(stdout);
}

/** One service's environment in the compose file, values as the process receives them. */
export function environmentOf(compose: { services: Record<string, ComposeService> }, name: string) {
  const service = compose.services[name];
  if (!service) throw new Error(`docker-compose.yml has no service ${name}`);
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v)]));
}
