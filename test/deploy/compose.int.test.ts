// The distributed deployment cannot run here (no Docker engine), so it is checked two ways: Debian's
// docker-compose validates the file, and each app container's environment must satisfy the config
// schema of the service it runs, so compose and code cannot drift apart.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { loadConfig } from '@dossier/config';
import { describe, expect, it } from 'vitest';
import { APP_CONFIGS, COMPOSE_SECRETS, environmentOf, resolvedCompose } from './compose-file.ts';

const run = promisify(execFile);
const env = { ...process.env, ...COMPOSE_SECRETS };

describe('docker-compose.yml', () => {
  it('is valid for docker-compose', async () => {
    await expect(
      run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { env }),
    ).resolves.toBeDefined();
  });

  it('refuses to start without the applicant hash key', async () => {
    const { APPLICANT_HASH_KEY: _, ...withoutKey } = env;
    await expect(
      run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { env: withoutKey }),
    ).rejects.toThrow(/APPLICANT_HASH_KEY/);
  });

  it('refuses to start a monitor reachable from outside without the operator credential', async () => {
    const { MONITOR_ADMIN_TOKEN: _, ...withoutToken } = env;
    await expect(
      run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { env: withoutToken }),
    ).rejects.toThrow(/MONITOR_ADMIN_TOKEN/);
  });

  it('refuses to start without the dead-letter key', async () => {
    const { DEAD_LETTER_KEY: _, ...withoutKey } = env;
    await expect(
      run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { env: withoutKey }),
    ).rejects.toThrow(/DEAD_LETTER_KEY/);
  });

  it("gives every app container an environment its service's config accepts", async () => {
    const compose = await resolvedCompose();
    for (const [name, schemas] of Object.entries(APP_CONFIGS)) {
      const environment = environmentOf(compose, name);
      for (const schema of schemas) expect(() => loadConfig(schema, environment), name).not.toThrow();
      expect(environment.CLICKHOUSE_URL, name).toMatch(/^http:\/\/.+@clickhouse:8123$/);
    }
  });

  it('runs entry points that the image bundles', async () => {
    const { services } = await resolvedCompose();
    const bundle = readFileSync('infra/docker/bundle.ts', 'utf8');
    for (const name of ['migrator', 'ingestor', 'aggregator', 'monitor']) {
      const script = services[name]?.command?.[1];
      expect(script, name).toMatch(/^dist\/[a-z-]+\.js$/);
      const entry = script?.replace(/^dist\//, '').replace(/\.js$/, '');
      expect(bundle, `${name} → ${entry}`).toMatch(new RegExp(`['\\s]${entry}'?:`));
    }
  });
});
