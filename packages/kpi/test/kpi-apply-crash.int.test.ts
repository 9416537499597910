// A generation's apply is re-run by whichever run finishes it after a crash, under the same
// deduplication token (complete-generation.ts), so the engine must skip exactly what the dead run
// committed. An INSERT…SELECT commits its blocks one by one and the engine tells a re-sent block by the
// token and the numbers of the SELECT's chunks in it, not by its rows: a re-run whose rows come out in
// other chunks adds some cells twice and drops others, or all of them again. Each apply therefore makes
// its output one chunk and one block (ONE_CHUNK_INSERT), whatever the client's own settings would do:
// one part, committed whole or not, under the same id on every run.
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/apply-crash.ts', import.meta.url));
const SLOW = 600_000;
/** Kills: the first as soon as the cells' part is there, the others spread over a whole apply's time. */
const KILLS = 6;

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

async function check(dir: string): Promise<Record<string, unknown>> {
  return JSON.parse((await run('check', dir)).trim().split('\n').pop() ?? '{}');
}

/** Parts of kpi_cells_v1 on disk (committed by the apply, or merged from such). */
function cellParts(dir: string): number {
  const path = join(dir, partsSubdir);
  if (!existsSync(path)) return 0;
  return readdirSync(path).filter((name) => /^all_\d+_\d+_\d+$/.test(name)).length;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a generation applied again after a SIGKILL mid-apply', () => {
  let applyMs = 0;
  beforeAll(async () => {
    const out = await run('prepare', template);
    const { dataPath } = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { dataPath: string };
    partsSubdir = dataPath.slice(dataPath.indexOf(template) + template.length);
  }, SLOW);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it(
    'writes each table one part, though the client cuts its blocks small',
    async () => {
      const dir = join(root, 'whole');
      cpSync(template, dir, { recursive: true });
      const started = Date.now();
      await run('apply', dir);
      applyMs = Date.now() - started;
      const result = await check(dir);
      rmSync(dir, { recursive: true, force: true });
      expect(result).toEqual({
        differing: 0,
        cells: 200_000,
        applied: result.staged,
        staged: result.staged,
        scope_cells: 0,
        scope_procedures: 0,
        parts: { kpi_cells_v1: 1, kpi_scope_cells_v1: 1, kpi_scope_procedures_v1: 1 },
      });
    },
    SLOW,
  );

  it(
    'adds nothing when run again under defaults that chunk its GROUP BYs otherwise',
    async () => {
      const dir = join(root, 'again');
      cpSync(template, dir, { recursive: true });
      await run('apply', dir);
      await run('reapply', dir);
      const result = await check(dir);
      rmSync(dir, { recursive: true, force: true });
      expect(result).toEqual({
        differing: 0,
        cells: 200_000,
        applied: result.staged,
        staged: result.staged,
        scope_cells: 0,
        scope_procedures: 0,
        parts: { kpi_cells_v1: 1, kpi_scope_cells_v1: 1, kpi_scope_procedures_v1: 1 },
      });
    },
    SLOW,
  );

  it(
    'holds every cell and scope row exactly as staged after a SIGKILL and a re-run: none twice, none lost',
    async () => {
      const results: Record<string, unknown>[] = [];
      let interrupted = 0;
      for (let kill = 0; kill < KILLS; kill++) {
        const dir = join(root, `kill-${kill}`);
        cpSync(template, dir, { recursive: true });
        const apply = start('apply', dir);
        if (kill === 0) {
          while (cellParts(dir) === 0 && apply.child.exitCode === null) await sleep(2);
        } else {
          await sleep(((applyMs || 5_000) * kill) / KILLS);
        }
        apply.child.kill('SIGKILL');
        await apply.exited;
        if (!apply.output().includes('applied')) interrupted++;
        await run('reapply', dir);
        results.push({ kill, ...(await check(dir)) });
        rmSync(dir, { recursive: true, force: true });
      }
      expect(interrupted, 'no kill landed before the apply ended').toBeGreaterThan(0);
      for (const result of results)
        expect(result).toEqual({
          ...result,
          differing: 0,
          applied: result.staged,
          scope_cells: 0,
          scope_procedures: 0,
        });
    },
    SLOW,
  );
});
