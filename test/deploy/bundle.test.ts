// The image runs `node dist/<service>.js` (Dockerfile): each bundle infra/docker/bundle.ts writes must at
// least parse. A createRequire imported by a bundled module beside the banner's once made every one of
// them fail at start with "Identifier 'createRequire' has already been declared".
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
let outdir: string;

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'bundle-test-'));
  // ES modules, as under the image's package.json (elsewhere node would read them as CommonJS).
  await writeFile(join(outdir, 'package.json'), '{ "type": "module" }\n');
  await run(process.execPath, ['--import', 'tsx', 'infra/docker/bundle.ts', outdir]);
}, 120_000);

afterAll(async () => {
  if (outdir) await rm(outdir, { recursive: true, force: true });
});

describe('the image bundle', () => {
  it('writes every service entry point as a file node can parse', async () => {
    const bundles = (await readdir(outdir)).filter((name) => name.endsWith('.js')).sort();
    expect(bundles).toEqual([
      'aggregator.js',
      'ingestor.js',
      'migrate.js',
      'monitor.js',
      'replay-dead-letters.js',
    ]);
    for (const bundle of bundles) {
      const checked = await run(process.execPath, ['--check', join(outdir, bundle)]).then(
        () => 'parses',
        (err: { stderr?: string }) => err.stderr ?? String(err),
      );
      expect(checked, bundle).toBe('parses');
    }
  }, 60_000);
});
