import { Writable } from 'node:stream';
import { createLogger } from '@dossier/observability';
import { describe, expect, it } from 'vitest';
import { clickHouseClientLog } from '../src/client-log.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write: (chunk, _enc, done) => {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const { LoggerClass } = clickHouseClientLog(createLogger({ service: 'test', level: 'debug', destination }));
  return { lines, client: new LoggerClass() };
}

describe("@clickhouse/client's log lines", () => {
  it('go to the service logger, a failure the caller also receives at debug only', () => {
    const { lines, client } = capture();
    const refused = Object.assign(new Error('readonly'), { code: '164', type: 'READONLY' });
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    client.error({ module: 'Connection', message: 'Command: HTTP request error.', err: refused });
    client.error({ module: 'Connection', message: 'Query: HTTP request error.', err: reset });
    client.error({ module: 'Connection', message: 'housekeeping failed', err: new TypeError('bug') });
    client.warn({ module: 'Config', message: 'overridden' });
    expect(lines.map((l) => [l.level, l.msg, l.component])).toEqual([
      [20, 'Command: HTTP request error.', 'clickhouse-client'],
      [20, 'Query: HTTP request error.', 'clickhouse-client'],
      [50, 'housekeeping failed', 'clickhouse-client'],
      [40, 'overridden', 'clickhouse-client'],
    ]);
  });
});
