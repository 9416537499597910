// Vitest reporter, next to the default one: when a test fails, prints the part of its test file's log
// (test-output/…, see test-log.ts) that the test wrote, from the end of the test before it, so hook and
// start-up lines come with the first failing test. A passing run prints nothing from here.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import { REPO, testLogFileOf } from './test-log.ts';

/** Enough to see what led to the failure without flooding CI; the file holds the rest. */
const MAX_BYTES = 64 * 1024;

function readRange(file: string, start: number, end: number): string {
  const from = Math.max(start, end - MAX_BYTES);
  const buffer = Buffer.alloc(end - from);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, from);
  } finally {
    closeSync(fd);
  }
  const text = buffer.toString('utf8');
  return from > start ? `… (${from - start} earlier bytes in the file)\n${text}` : text;
}

export default class FailedTestLogs implements Reporter {
  onTestModuleEnd(module: TestModule): void {
    if (module.ok()) return;
    const file = testLogFileOf(module.moduleId);
    if (!existsSync(file)) return;
    const shown = relative(REPO, file);
    const size = statSync(file).size;
    let previousEnd = 0;
    let printed = false;
    for (const test of module.children.allTests()) {
      const { logStart, logEnd } = test.meta();
      const start = previousEnd;
      const end = logEnd ?? size;
      previousEnd = logEnd ?? logStart ?? previousEnd;
      if (test.result().state !== 'failed') continue;
      printed = true;
      this.print(`logs of "${test.fullName}" (${shown})`, end > start ? readRange(file, start, end) : '');
    }
    // A failure outside any test (a hook, an import): the whole log, from its tail.
    if (!printed) this.print(`logs of ${module.relativeModuleId} (${shown})`, readRange(file, 0, size));
  }

  private print(title: string, text: string): void {
    const body = text.trim() === '' ? '(nothing logged)' : text.trimEnd();
    process.stderr.write(`\n──── ${title} ────\n${body}\n──── end of ${title} ────\n`);
  }
}
