// A generation's apply is re-run by whichever run finishes it after a crash, under the same
// deduplication token (complete-generation.ts), so the engine must skip exactly the blocks the dead run
// committed. An INSERT…SELECT commits its blocks one by one, and the engine tells a re-sent block by its
// place and content: a re-run whose rows come out in other blocks (a GROUP BY over two threads does) adds
// some cells twice and drops others. SIGKILL mid-apply, then re-apply: every cell as staged.
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/apply-crash.ts', import.meta.url));
const SLOW = 600_000;
/** Attempts at a kill that lands between two committed blocks (a fast apply may finish first). */
const ATTEMPTS = 8;
/** Interrupted applies each run must see re-applied exactly. */
const INTERRUPTED = 3;

const root = mkdtempSync(join(tmpdir(), 'kpi-apply-crash-'));
const template = join(root, 'template');
let partsSubdir = '';

function start(
  mode: string,
  dir: string,
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, mode, dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function run(mode: string, dir: string): Promise<string> {
  const process = start(mode, dir);
  const code = await process.exited;
  if (code !== 0) throw new Error(`${mode} exited ${code}: ${process.output()}`);
  return process.output();
}

/** Parts the apply committed (level-0 parts: merges of them are level 1 and up). */
function committedParts(dir: string): number {
  const path = join(dir, partsSubdir);
  if (!existsSync(path)) return 0;
  return readdirSync(path).filter((name) => /^all_\d+_\d+_\d+$/.test(name)).length;
}

describe('a generation applied again after a SIGKILL mid-apply', () => {
  beforeAll(async () => {
    const out = await run('prepare', template);
    const { dataPath } = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { dataPath: string };
    partsSubdir = dataPath.slice(dataPath.indexOf(template) + template.length);
  }, SLOW);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it(
    'holds every cell exactly as staged: none twice, none lost',
    async () => {
      const interrupted: { committed: number; differing: number; applied: number; staged: number }[] = [];
      for (let attempt = 0; attempt < ATTEMPTS && interrupted.length < INTERRUPTED; attempt++) {
        const dir = join(root, `attempt-${attempt}`);
        cpSync(template, dir, { recursive: true });
        const apply = start('apply', dir);
        while (committedParts(dir) === 0 && apply.child.exitCode === null)
          await new Promise((r) => setTimeout(r, 2));
        apply.child.kill('SIGKILL');
        await apply.exited;
        const committed = committedParts(dir);
        if (apply.output().includes('applied') || committed === 0) {
          rmSync(dir, { recursive: true, force: true });
          continue; // finished before the kill, or killed before its first block: not a partial apply
        }
        await run('apply', dir);
        const check = JSON.parse((await run('check', dir)).trim().split('\n').pop() ?? '{}');
        interrupted.push({ committed, ...check });
        rmSync(dir, { recursive: true, force: true });
      }
      expect(interrupted.length, 'no kill landed between two committed blocks').toBeGreaterThan(0);
      for (const result of interrupted)
        expect(result).toEqual({ ...result, differing: 0, applied: result.staged });
    },
    SLOW,
  );
});
