// Safe default: a monitor exposed beyond loopback with no operator credential must not start at all.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'exposed-monitor-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** The process's exit code and stderr; it must end by itself (the configuration error comes first). */
async function start(main: string, env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const { MONITOR_ADMIN_TOKEN: _a, MONITOR_OPERATOR_TOKENS: _o, ...inherited } = process.env;
  try {
    await run(process.execPath, [TSX, join(ROOT, main)], { cwd: ROOT, env: { ...inherited, ...env } });
    return { code: 0, stderr: '' };
  } catch (err) {
    const failed = err as { code?: number; stderr?: string };
    return { code: failed.code ?? -1, stderr: failed.stderr ?? '' };
  }
}

describe('a monitor bound beyond loopback without an operator credential', () => {
  it('stops `npm start` with the configuration error', async () => {
    const { code, stderr } = await start('services/all-in-one/src/main.ts', {
      MONITOR_HOST: '0.0.0.0',
      DATA_DIR: dataDir,
      KAFKA_BROKERS: '127.0.0.1:1',
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(code).toBe(2);
    expect(stderr).toContain('Invalid configuration:');
    expect(stderr).toContain(
      'MONITOR_ADMIN_TOKEN: MONITOR_HOST=0.0.0.0 lets other machines reach the monitor',
    );
  });

  it('stops the distributed monitor the same way', async () => {
    const { code, stderr } = await start('services/monitor/src/main.ts', {
      MONITOR_HOST: '0.0.0.0',
      CLICKHOUSE_URL: 'http://127.0.0.1:1',
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(code).toBe(2);
    expect(stderr).toContain(
      'MONITOR_ADMIN_TOKEN: MONITOR_HOST=0.0.0.0 lets other machines reach the monitor',
    );
  });
});
