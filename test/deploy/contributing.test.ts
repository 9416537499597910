// CONTRIBUTING.md is a newcomer's map: every path it names must exist and every `npm run` script it
// tells them to run must be one package.json has, or the map sends them nowhere.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const guide = readFileSync('CONTRIBUTING.md', 'utf8');
const scripts = Object.keys(
  (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: object }).scripts,
);

/** Repository paths in code spans and links: they start at a top-level folder or name a root file. */
function namedPaths(text: string): string[] {
  const spans = [...text.matchAll(/`([^`\s]+)`/g), ...text.matchAll(/\]\(([^)\s#]+)\)/g)].map(
    (m) => m[1] ?? '',
  );
  const roots = /^(services|packages|tools|test|bench|infra|docs)\/|^[\w.-]+\.(md|json|ya?ml|cjs)$/;
  return [...new Set(spans.filter((s) => roots.test(s) && !s.includes('<') && !s.includes('…')))];
}

describe('CONTRIBUTING.md', () => {
  const paths = namedPaths(guide);

  it('names paths that exist', () => {
    expect(paths.length).toBeGreaterThan(30);
    expect(paths.filter((path) => !existsSync(path))).toEqual([]);
  });

  it('names files of the flow by their folder: the bare names it uses stand in that folder', () => {
    const bare = [...guide.matchAll(/`([\w-]+\.ts)`/g)].map((m) => m[1] ?? '');
    const folders = [
      'services/ingestor/src',
      'packages/schemas/src',
      'packages/kpi/src',
      'packages/clickhouse/src',
      'services/aggregator/src',
      'tools/simulator/src',
      'services/monitor/src',
    ];
    const nowhere = bare.filter(
      (name) => !['config.ts', 'main.ts'].includes(name) && !folders.some((f) => existsSync(`${f}/${name}`)),
    );
    expect(nowhere).toEqual([]);
  });

  it('tells to run only scripts package.json has', () => {
    const named = [...guide.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1] ?? '');
    expect(named.length).toBeGreaterThan(3);
    expect(named.filter((script) => !scripts.includes(script))).toEqual([]);
  });
});
