// Vitest setup file (every project): starts this test file's log afresh and records, for each test, the
// byte range of the log it wrote (task meta), so log-reporter.ts can print exactly that part on failure.
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { testLogFile } from './test-log.ts';

declare module 'vitest' {
  interface TaskMeta {
    logStart?: number;
    logEnd?: number;
  }
}

const file = testLogFile();
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, '');

const size = () => (existsSync(file) ? statSync(file).size : 0);

beforeEach(({ task }) => {
  task.meta.logStart = size();
});

afterEach(({ task }) => {
  task.meta.logEnd = size();
});
