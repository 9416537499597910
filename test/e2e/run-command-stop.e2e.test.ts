// `npm start` stopped the ways people and supervisors stop it: Ctrl-C at a terminal signals the whole
// process group; `timeout`, a supervisor or `kill <pid>` signals npm's own pid. Either way the pipeline
// must run its shutdown once, to the end, and leave no process behind.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteKeys, uniquePrefix } from '../support/redis.ts';
import {
  eventually,
  groupAlive,
  type RunningCommand,
  sharedStackEnv,
  startRunCommand,
  waitFor,
} from './run-command.ts';

describe('npm start, stopped by a signal', { timeout: 600_000 }, () => {
  let dataDir = '';
  let cmd: RunningCommand | undefined;
  let prefix = '';

  afterEach(async () => {
    if (cmd?.child.pid && groupAlive(cmd.child.pid)) process.kill(-cmd.child.pid, 'SIGKILL');
    cmd = undefined;
    if (prefix) await deleteKeys(prefix);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function startReady(name: string): Promise<RunningCommand> {
    dataDir = await mkdtemp(join(tmpdir(), `dossier-${name}-`));
    prefix = uniquePrefix(name);
    const env: NodeJS.ProcessEnv = {
      ...(await sharedStackEnv(name, dataDir, prefix)),
      LOG_FORMAT: 'json',
    };
    const started = startRunCommand(env);
    cmd = started;
    await waitFor(
      'ready',
      async () => (started.output().includes('all-in-one ready') ? true : undefined),
      started,
      300_000,
    );
    return started;
  }

  /** The shutdown ran once and to its end, and nothing of the command is left running. */
  async function expectStoppedCleanly(started: RunningCommand) {
    const pgid = started.child.pid ?? 0;
    const gone = await eventually(() => !groupAlive(pgid), 120_000);
    const output = started.output();
    expect(gone, `processes left in the group after the stop; output tail:\n${output.slice(-3000)}`).toBe(
      true,
    );
    const messages = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; step?: string });
    expect(messages.filter((m) => m.msg === 'shutting down')).toHaveLength(1);
    expect(messages.map((m) => m.msg)).not.toContain('second signal, killing the process');
    const steps = messages.filter((m) => m.msg === 'shutdown step done').map((m) => m.step);
    expect(steps).toEqual(expect.arrayContaining(['simulator', 'ingestor', 'aggregator', 'clickhouse']));
  }

  it('Ctrl-C at a terminal (SIGINT to the whole process group) stops it once, cleanly', async () => {
    const started = await startReady('ctrlc');
    process.kill(-(started.child.pid ?? 0), 'SIGINT');
    await expectStoppedCleanly(started);
  });

  it('SIGTERM to npm alone (timeout, a supervisor) reaches the pipeline and stops it cleanly', async () => {
    const started = await startReady('npmterm');
    started.child.kill('SIGTERM');
    await expectStoppedCleanly(started);
  });
});
