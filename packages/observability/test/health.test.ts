import { describe, expect, it } from 'vitest';
import { createHealth, createHeartbeat } from '../src/index.ts';

describe('health', () => {
  it('is ready only when every check passes, and reports a throwing check as failed', async () => {
    const health = createHealth();
    health.addCheck('a', () => ({ ok: true }));
    expect(await health.readiness()).toEqual({ ready: true, checks: { a: { ok: true } } });
    health.addCheck('b', () => {
      throw new TypeError('boom');
    });
    const result = await health.readiness();
    expect(result.ready).toBe(false);
    expect(result.checks.b).toEqual({ ok: false, detail: 'TypeError' });
  });

  it('heartbeat fails once no progress was made within the allowed age', () => {
    let now = 1_000;
    const heartbeat = createHeartbeat(500, () => now);
    expect(heartbeat.check().ok).toBe(true);
    now = 1_600;
    expect(heartbeat.check()).toEqual({ ok: false, detail: 'no progress for 600 ms' });
    heartbeat.beat();
    expect(heartbeat.check().ok).toBe(true);
  });
});
