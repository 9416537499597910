import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { REPO } from '../support/test-log.ts';

const run = promisify(execFile);

/** The secrets compose asks for (`${NAME:?…}`): test values, the same in every test of the file. */
export const COMPOSE_SECRETS = {
  APPLICANT_HASH_KEY: 'compose-test-key-0123456789',
  MONITOR_ADMIN_TOKEN: 'compose-admin-token-0123456789',
  DEAD_LETTER_KEY: 'f5'.repeat(32),
};

export interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string | number>;
  profiles?: string[];
}

/** docker-compose.yml as docker-compose resolves it (anchors merged, variables substituted). */
export async function resolvedCompose(
  env: NodeJS.ProcessEnv = { ...process.env, ...COMPOSE_SECRETS },
): Promise<{ services: Record<string, ComposeService> }> {
  const { stdout } = await run('docker-compose', ['-f', 'docker-compose.yml', 'config'], { env, cwd: REPO });
  return parse(stdout);
}

/** One service's environment in the compose file, values as the process receives them. */
export function environmentOf(compose: { services: Record<string, ComposeService> }, name: string) {
  const service = compose.services[name];
  if (!service) throw new Error(`docker-compose.yml has no service ${name}`);
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v)]));
}
