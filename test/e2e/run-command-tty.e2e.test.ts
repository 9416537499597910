// `npm start` as a person runs it: on a terminal it prints readable coloured lines, not JSON.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteKeys, uniquePrefix } from '../support/redis.ts';
import {
  type RunningCommand,
  sharedStackEnv,
  startRunCommand,
  stopRunCommand,
  waitFor,
} from './run-command.ts';

const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');
const COLOURED_INFO = new RegExp(`${ESC}\\[\\d+mINFO${ESC}\\[\\d+m`);
/** pino-pretty's line: `[HH:MM:ss.mmm] LEVEL: message {fields}`. */
const PRETTY = /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL): \S/;

describe('npm start on a terminal', { timeout: 600_000 }, () => {
  let dataDir = '';
  let cmd: RunningCommand | undefined;
  const prefix = uniquePrefix('tty');

  afterAll(async () => {
    // The command runs in the pseudo-terminal's own session: its pid file is how to reach it.
    const pidFile = join(dataDir, 'all-in-one.pid');
    if (cmd && dataDir && existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (cmd?.child.pid) cmd.child.kill('SIGKILL');
    await deleteKeys(prefix);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('prints coloured pretty lines and the banner, and its shutdown, with no JSON', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dossier-tty-'));
    const env: NodeJS.ProcessEnv = {
      ...(await sharedStackEnv('tty', dataDir, prefix)),
      SIMULATOR: 'false',
    };
    delete env.LOG_FORMAT;
    delete env.NO_COLOR;
    cmd = startRunCommand(env, { tty: true });
    const started = cmd;
    await waitFor(
      'ready on a terminal',
      async () => (started.output().includes('all-in-one ready') ? true : undefined),
      started,
      300_000,
    );
    expect(started.output()).toContain('dossier-pipeline is running');
    expect(await stopRunCommand(started, dataDir), started.output().slice(-4000)).toBe(0);

    const output = started.output();
    const lines = output.replace(ANSI, '').split(/\r?\n/);
    const logLines = lines.filter((l) => PRETTY.test(l));
    expect(logLines.some((l) => / INFO: all-in-one ready /.test(l))).toBe(true);
    expect(logLines.some((l) => / INFO: shutdown step done \{"step":"ingestor"\}/.test(l))).toBe(true);
    expect(lines.filter((l) => l.startsWith('{'))).toEqual([]);
    expect(output).toMatch(COLOURED_INFO);
    expect(logLines.filter((l) => / (ERROR|FATAL): /.test(l) || / WARN: \[kafkajs\]/.test(l))).toEqual([]);
  });
});
