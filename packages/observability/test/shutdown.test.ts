import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, onShutdown, resolveLogFormat } from '../src/index.ts';

const silent = createLogger({
  service: 'test',
  destination: new Writable({ write: (_chunk, _enc, done) => done() }),
});

describe('onShutdown', () => {
  it('runs the steps in order, once, and exits 0', async () => {
    const order: string[] = [];
    const exits: number[] = [];
    const shutdown = onShutdown(
      [
        { name: 'consumer', run: async () => void order.push('consumer') },
        { name: 'clickhouse', run: () => void order.push('clickhouse') },
      ],
      { logger: silent, signals: [], exit: (code) => exits.push(code) },
    );
    await Promise.all([shutdown(), shutdown()]);
    expect(order).toEqual(['consumer', 'clickhouse']);
    expect(exits).toEqual([0]);
  });

  it('keeps going after a failed step and exits non-zero', async () => {
    const order: string[] = [];
    const exits: number[] = [];
    const shutdown = onShutdown(
      [
        { name: 'a', run: () => Promise.reject(new Error('x')) },
        { name: 'b', run: () => void order.push('b') },
      ],
      { logger: silent, signals: [], exit: (code) => exits.push(code) },
    );
    await shutdown();
    expect(order).toEqual(['b']);
    expect(exits).toEqual([1]);
  });

  it('past the deadline, logs the step it waits for and kills the process instead of exiting', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      service: 'test',
      destination: new Writable({
        write: (chunk, _enc, done) => {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    });
    const exits: number[] = [];
    let killed!: () => void;
    const kill = new Promise<void>((resolve) => {
      killed = resolve;
    });
    void onShutdown(
      [
        { name: 'ingestor', run: () => undefined },
        // A chDB statement cannot be interrupted; exit would wait for it too (process.exit joins libuv's threads).
        { name: 'aggregator', run: () => new Promise(() => undefined) },
      ],
      { logger, timeoutMs: 10, signals: [], exit: (code) => exits.push(code), kill: killed },
    )();
    await kill;
    expect(exits).toEqual([]);
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'shutdown deadline passed, killing the process',
        waitingFor: 'aggregator',
        timeoutMs: 10,
      }),
    );
  });

  it('kills the process on a second signal', async () => {
    const exits: number[] = [];
    const kills: string[] = [];
    let clock = 0;
    onShutdown([{ name: 'held', run: () => new Promise(() => undefined) }], {
      logger: silent,
      signals: ['SIGUSR2'],
      timeoutMs: 60_000,
      exit: (code) => exits.push(code),
      kill: () => kills.push('kill'),
      now: () => clock,
    });
    process.emit('SIGUSR2');
    clock = 1_000;
    process.emit('SIGUSR2');
    expect(kills).toEqual(['kill']);
    expect(exits).toEqual([]);
  });

  it('holds a listener for the signal at every moment, so a repeat never meets its default action', async () => {
    // Node restores a signal's default action (for SIGINT: die at once, logging nothing) while no listener
    // is registered. A handler registered with once() is removed before it runs, so npm's forwarded copy
    // of a Ctrl-C landing while the first logged 'shutting down' killed the process (seen in CI at load).
    const counts: number[] = [];
    const logger = createLogger({
      service: 'test',
      destination: new Writable({
        write: (_chunk, _enc, done) => {
          counts.push(process.listenerCount('SIGUSR2'));
          done();
        },
      }),
    });
    const before = process.listenerCount('SIGUSR2');
    onShutdown([{ name: 'held', run: () => new Promise(() => undefined) }], {
      logger,
      signals: ['SIGUSR2'],
      timeoutMs: 60_000,
      exit: () => undefined,
      kill: () => undefined,
    });
    process.emit('SIGUSR2');
    expect(counts.length).toBeGreaterThan(0);
    expect(Math.min(...counts)).toBeGreaterThan(before);
  });

  it('takes a signal delivered twice at once as one stop (Ctrl-C under npm start)', async () => {
    const exits: number[] = [];
    const kills: string[] = [];
    let clock = 0;
    let release: () => void = () => undefined;
    onShutdown([{ name: 'held', run: () => new Promise<void>((r) => (release = r)) }], {
      logger: silent,
      signals: ['SIGUSR2'],
      timeoutMs: 60_000,
      exit: (code) => exits.push(code),
      kill: () => kills.push('kill'),
      now: () => clock,
    });
    process.emit('SIGUSR2'); // from the terminal, to the whole process group
    clock = 3;
    process.emit('SIGUSR2'); // forwarded by npm to its child
    expect(kills).toEqual([]);
    release();
    await new Promise((r) => setImmediate(r));
    expect(exits).toEqual([0]);
    clock = 5_000;
    process.emit('SIGUSR2');
    expect(kills).toEqual(['kill']);
  });
});

describe('createLogger', () => {
  it('redacts personal data and secrets by path', () => {
    const lines: string[] = [];
    const logger = createLogger({
      service: 'test',
      destination: new Writable({
        write: (chunk, _enc, done) => {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    logger.info({ record: { ChuHoSo: 'Nguyễn Văn A', MaHoSo: 'H29.1-250101-0001' }, password: 'p' }, 'seen');
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line.record).toEqual({ ChuHoSo: '[redacted]', MaHoSo: 'H29.1-250101-0001' });
    expect(line.password).toBe('[redacted]');
    expect(line.service).toBe('test');
  });
});

describe('resolveLogFormat', () => {
  it('is pretty on a terminal and JSON otherwise, unless a format is chosen', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });
});
