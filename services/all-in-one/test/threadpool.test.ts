import { describe, expect, it } from 'vitest';
import { threadpoolShortfall } from '../src/clickhouse-clients.ts';

// chDB takes a libuv thread per running statement; with node's default pool of 4 the all-in-one's five
// (aggregator, ingestor, monitor, two analysts) did not all fit, and an insert could wait for a thread (#15).
describe("the all-in-one's threadpool", () => {
  it("is too small at node's default for its statements", () => {
    expect(threadpoolShortfall({}, 2)).toEqual({ size: 4, wanted: 9 });
  });

  it('is enough at the size npm start gives it', () => {
    expect(threadpoolShortfall({ UV_THREADPOOL_SIZE: '16' }, 2)).toBeUndefined();
    expect(threadpoolShortfall({ UV_THREADPOOL_SIZE: '16' }, 12)).toEqual({ size: 16, wanted: 19 });
  });
});
