import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../e2e/run-command.ts';

const run = promisify(execFile);
const JDBC_SH = join(REPO, 'test/clients/jdbc/jdbc.sh');

export interface JdbcCheck {
  check: string;
  ok: boolean;
  errorCode?: number;
  message?: string;
  value?: string;
  rows?: unknown;
  sum?: number;
  tables?: string[];
  kpiLatestColumns?: string[];
}

/**
 * Runs the official ClickHouse JDBC driver (test/clients/jdbc/JdbcChecks.java) against `url` with
 * the driver's defaults, and returns its checks by name. The first call resolves the driver from
 * Maven Central into a cache (`jdbc.sh install`, also a step of .ci/run).
 */
export async function runJdbcChecks(
  url: string,
  credentials?: [string, string],
): Promise<Map<string, JdbcCheck>> {
  const { stdout } = await run(JDBC_SH, ['run', url, ...(credentials ?? [])], {
    timeout: 600_000,
    maxBuffer: 1 << 24,
  });
  const checks = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as JdbcCheck);
  return new Map(checks.map((c) => [c.check, c]));
}
