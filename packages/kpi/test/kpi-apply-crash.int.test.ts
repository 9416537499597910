// A generation's apply is re-run by whichever run finishes it after a crash, under the same
// deduplication token (complete-generation.ts), so the engine must skip exactly what the dead run
// committed. An INSERT…SELECT commits its blocks one by one and the engine tells a re-sent block by the
// token and the numbers of the SELECT's chunks in it, not by its rows: a re-run whose rows come out in
// other chunks adds some cells twice and drops others, or all of them again. Each apply therefore makes
// its output one chunk and one block (ONE_CHUNK_INSERT), whatever the client's own settings would do:
// one part, committed whole or not, under the same id on every run. Under a memory cap that one chunk
// does not fit in, each apply is cut by key into the shards its claim records, each one chunk under a
// token of its own: a re-run in as many shards skips those written and writes the others.
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
/**
 * A statement memory cap (bytes) the cells' one chunk (400,000 staged rows copied: 380-800 MiB) does not
 * fit in; the claim records SHARDS shards for them under it (shardsFor). Each shard's 16,000 rows are
 * written as a compact part: past ~30,000 rows (10 MB) a part is wide, and its writer's buffers (a few MiB
 * per column stream, 38 columns) take ~150 MiB whatever its rows, more than a miniature cap holds.
 */
const CAP = '50000000';
const SHARDS = '25';

const root = mkdtempSync(join(tmpdir(), 'kpi-apply-crash-'));
const template = join(root, 'template');
let partsSubdir = '';

function start(
  mode: string,
  dir: string,
  ...args: string[]
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, mode, dir, ...args], {
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

async function run(mode: string, dir: string, ...args: string[]): Promise<string> {
  const process = start(mode, dir, ...args);
  const code = await process.exited;
  if (code !== 0) throw new Error(`${mode} exited ${code}: ${process.output()}`);
  return process.output();
}

/** The last line a fixture printed, as JSON. */
async function last(mode: string, dir: string, ...args: string[]): Promise<Record<string, unknown>> {
  return JSON.parse((await run(mode, dir, ...args)).trim().split('\n').pop() ?? '{}');
}

const check = (dir: string) => last('check', dir);

/** Every cell as staged, every scope row the sum of its cells. */
function expectAsStaged(result: Record<string, unknown>, parts?: Record<string, number>): void {
  expect(result).toEqual({
    ...result,
    differing: 0,
    cells: 200_000,
    applied: result.staged,
    scope_cells: 0,
    scope_procedures: 0,
    ...(parts ? { parts } : {}),
  });
}

const ONE_PART = { kpi_cells_v1: 1, kpi_scope_cells_v1: 1, kpi_scope_procedures_v1: 1 };

/** How many statements of `table`'s apply a fixture's output says ended. */
function ended(output: string, table: string): number {
  return output.split('\n').filter((line) => line.startsWith(`statement ${table} <-`)).length;
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
      expectAsStaged(result, ONE_PART);
      // Copied as staged ('sharded-v2'): two rows a cell, summed by the table's merges and every reader.
      expect(Number(result.cell_rows)).toBe(400_000);
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
      expectAsStaged(result, ONE_PART);
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
      for (const result of results) expectAsStaged(result);
    },
    SLOW,
  );

  it(
    "finishes a claim of 'sharded-v1' with its cells summed per cell: one part a table, exact after a SIGKILL and a re-run",
    async () => {
      const whole = join(root, 'summed-whole');
      cpSync(template, whole, { recursive: true });
      await run('apply', whole, '1', '0', 'summed');
      const wholeResult = await check(whole);
      rmSync(whole, { recursive: true, force: true });
      expectAsStaged(wholeResult, ONE_PART);
      expect(Number(wholeResult.cell_rows)).toBe(200_000);
      const dir = join(root, 'summed-kill');
      cpSync(template, dir, { recursive: true });
      const apply = start('apply', dir, '1', '0', 'summed');
      while (cellParts(dir) === 0 && apply.child.exitCode === null) await sleep(2);
      apply.child.kill('SIGKILL');
      await apply.exited;
      await run('reapply', dir, '1', '0', 'summed');
      const result = await check(dir);
      rmSync(dir, { recursive: true, force: true });
      expectAsStaged(result);
    },
    SLOW,
  );

  it(
    'cuts each apply into the shards its claim records under a memory cap its one chunk exceeds: exact, and a re-run adds nothing',
    async () => {
      const dir = join(root, 'sharded');
      cpSync(template, dir, { recursive: true });
      expect(await last('shards', dir, CAP)).toEqual({ shards: Number(SHARDS) });
      // In one shard the cells' one chunk cannot spill and fails.
      await expect(run('apply', dir, '1', CAP)).rejects.toThrow('MEMORY_LIMIT_EXCEEDED');
      const applied = await run('apply', dir, SHARDS, CAP);
      expect(ended(applied, 'kpi_cells_v1')).toBe(Number(SHARDS));
      expectAsStaged(await check(dir));
      await run('reapply', dir, SHARDS, CAP);
      const result = await check(dir);
      rmSync(dir, { recursive: true, force: true });
      expectAsStaged(result);
    },
    SLOW,
  );

  it(
    'holds every row as staged after a SIGKILL between two shards and a re-run in as many shards',
    async () => {
      // Killed once two shards of a table's apply ended: between them and the next, or inside it.
      const points: [string, number][] = [
        ['kpi_cells_v1', 2],
        ['kpi_scope_cells_v1', 2],
        ['kpi_scope_procedures_v1', 2],
      ];
      const results: Record<string, unknown>[] = [];
      for (const [table, shards] of points) {
        const dir = join(root, `shard-kill-${table}`);
        cpSync(template, dir, { recursive: true });
        const apply = start('apply', dir, SHARDS, CAP);
        while (ended(apply.output(), table) < shards && apply.child.exitCode === null) await sleep(2);
        apply.child.kill('SIGKILL');
        await apply.exited;
        expect(apply.output(), `killed before ${table}'s third shard ended`).not.toContain('applied');
        await run('reapply', dir, SHARDS, CAP);
        results.push({ table, ...(await check(dir)) });
        rmSync(dir, { recursive: true, force: true });
      }
      for (const result of results) expectAsStaged(result);
    },
    SLOW,
  );
});
