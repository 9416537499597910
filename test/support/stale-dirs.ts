import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const KAFKA_DIR_PREFIX = 'dossier-kafka-';
export const CHDB_DIR_PREFIX = 'dossier-chdb-';

/** Temp dirs are named `<prefix><owner pid>-<random>` so a later run can tell whose they are. */
export function ownedTempPrefix(prefix: string): string {
  return join(tmpdir(), `${prefix}${process.pid}-`);
}

/**
 * Removes temp dirs left by runs that were killed before their teardown (SIGKILL, OOM). A dir
 * whose owner process is alive is never touched, so concurrent runs are safe.
 */
export function removeStaleTempDirs(prefixes = [KAFKA_DIR_PREFIX, CHDB_DIR_PREFIX]): void {
  for (const name of readdirSync(tmpdir())) {
    const prefix = prefixes.find((p) => name.startsWith(p));
    const pid = prefix ? Number(name.slice(prefix.length).split('-')[0]) : Number.NaN;
    if (!Number.isInteger(pid) || pid <= 0 || isAlive(pid)) continue;
    rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
