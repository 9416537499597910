import { defineConfig } from 'vitest/config';

const sources = [
  'packages/*/{src,test}/**',
  'services/*/{src,test}/**',
  'tools/*/{src,test}/**',
  'test/**',
  'infra/**',
];

// Logs of the code under test go to test-output/<test file>.log (test/support/test-log.ts); the
// reporter prints a failing test's part of it, and console output is shown for failing tests only.
const quiet = { setupFiles: ['test/support/log-setup.ts'] };

export default defineConfig({
  test: {
    reporters: ['default', './test/support/log-reporter.ts'],
    silent: 'passed-only',
    projects: [
      {
        test: {
          name: 'unit',
          ...quiet,
          include: sources.map((s) => `${s}/*.test.ts`),
          exclude: ['**/*.int.test.ts', '**/*.e2e.test.ts', '**/node_modules/**'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          ...quiet,
          include: sources.flatMap((s) => [`${s}/*.int.test.ts`, `${s}/*.e2e.test.ts`]),
          exclude: ['**/node_modules/**'],
          environment: 'node',
          // Starts (or finds) Kafka and Redis once per run and stops what it started.
          globalSetup: ['test/support/global-setup.ts'],
          // chDB allows one data directory per process: every test file runs in its own fork.
          pool: 'forks',
          isolate: true,
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: true,
          maxWorkers: 2,
          // Vitest 4 refuses projects with different maxWorkers in one sequence group: unit first.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
