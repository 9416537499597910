// Bundles each service's main.ts (with the workspace packages it imports) into dist/<name>.js for the
// container image. Third-party packages stay external: they are installed in the image's node_modules,
// and some (pino transports, chdb, bull-board's UI assets) resolve files relative to their own package.
// `tsx infra/docker/bundle.ts [outdir]` (default dist; test/deploy/bundle.test.ts bundles elsewhere).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';

const entries: Record<string, string> = {
  ingestor: 'services/ingestor/src/main.ts',
  'replay-dead-letters': 'services/ingestor/src/replay.main.ts',
  aggregator: 'services/aggregator/src/main.ts',
  monitor: 'services/monitor/src/main.ts',
  migrate: 'packages/clickhouse/src/migrate.main.ts',
};

interface Manifest {
  dependencies?: Record<string, string>;
}

const root = JSON.parse(readFileSync('package.json', 'utf8')) as { workspaces: string[] };
const manifests: Manifest[] = root.workspaces.flatMap((pattern) => {
  const base = pattern.replace(/\/\*$/, '');
  return readdirSync(base)
    .filter((name) => existsSync(`${base}/${name}/package.json`))
    .map((name) => JSON.parse(readFileSync(`${base}/${name}/package.json`, 'utf8')) as Manifest);
});
const external = [...new Set(manifests.flatMap((m) => Object.keys(m.dependencies ?? {})))].filter(
  (dep) => !dep.startsWith('@dossier/'),
);

await build({
  entryPoints: Object.fromEntries(Object.entries(entries).filter(([, path]) => existsSync(path))),
  outdir: process.argv[2] ?? 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  external: [...external, '@chdb/*'],
  banner: {
    // Under a name no module uses: a bundled module importing createRequire itself (observability's
    // logger and kafka-log do) would otherwise declare it twice, and node refuses the whole file.
    js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);",
  },
  logLevel: 'info',
});
