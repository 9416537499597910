// Logs of the code under test (services, kafkajs, @clickhouse/client) go to one file per test file under
// test-output/, not to the terminal: a passing `npm test` shows test results only. log-reporter.ts prints
// the part of the file a failing test wrote.
import { mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger } from '@dossier/observability';
import { pino } from 'pino';
import { expect } from 'vitest';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const TEST_OUTPUT = join(REPO, 'test-output');

/** test-output/<path of the test file>.log, e.g. test-output/services/ingestor/test/replay.int.test.ts.log */
export function testLogFileOf(testFile: string): string {
  return join(TEST_OUTPUT, `${relative(REPO, testFile)}.log`);
}

/** The log file of the test file running in this worker. */
export function testLogFile(): string {
  const testPath = expect.getState().testPath;
  if (!testPath) throw new Error('testLogFile() outside a vitest test file');
  return testLogFileOf(testPath);
}

let destination: { file: string; stream: pino.DestinationStream } | undefined;

function testLogDestination(): pino.DestinationStream {
  const file = testLogFile();
  if (destination?.file !== file) {
    mkdirSync(dirname(file), { recursive: true });
    // Synchronous: a line written just before a failing assertion is in the file when the reporter reads it.
    destination = { file, stream: pino.destination({ dest: file, append: true, sync: true }) };
  }
  return destination.stream;
}

/** A service logger for tests: JSON lines into this test file's log, info and up unless told otherwise. */
export function testLogger(service: string, level = 'info'): Logger {
  return createLogger({ service, level, destination: testLogDestination() });
}
