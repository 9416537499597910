import { randomUUID } from 'node:crypto';
import type { HeldLease, KpiLeases } from '@dossier/kpi';
import type { Redis } from 'ioredis';

// Renews only a key this holder still owns; 0 when it lapsed (or was taken): the lease is lost.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface RedisLeaseOptions {
  /** Key prefix shared by every instance of one deployment (the queue's): `<prefix>:kpi-lease:<runId>`. */
  prefix: string;
  /** How long a lease outlives its last renewal (renewed every third of it). */
  ttlMs: number;
}

/**
 * KPI claim leases in Redis, shared by every aggregator instance: a key per run with a TTL that the run
 * renews while it works, so a claim of a killed instance is known dead once the TTL lapsed. Renewals
 * travel apart from the ClickHouse statements they vouch for, so a long statement never delays one; a
 * run without a key is dead (claims of runs before leases existed too: they are long over).
 */
export function redisLeases(redis: Redis, options: RedisLeaseOptions): KpiLeases {
  const holder = randomUUID();
  const ttlMs = Math.max(1, Math.round(options.ttlMs));
  const key = (runId: string) => `${options.prefix}:kpi-lease:${runId}`;
  return {
    async hold(runId): Promise<HeldLease> {
      const lost = new AbortController();
      await redis.set(key(runId), holder, 'PX', ttlMs);
      let renewedAt = performance.now();
      let renewing: Promise<void> | undefined;
      const timer = setInterval(() => {
        if (performance.now() - renewedAt > ttlMs) lost.abort(new Error(`KPI lease of run ${runId} lapsed`));
        if (renewing || lost.signal.aborted) return;
        const began = performance.now();
        renewing = (redis.eval(RENEW, 1, key(runId), holder, String(ttlMs)) as Promise<number>).then(
          (renewed) => {
            if (renewed === 1) renewedAt = began;
            else lost.abort(new Error(`KPI lease of run ${runId} lapsed`));
          },
          // Redis unreachable: retried at the next tick; the lease is lost only once its TTL passed.
          () => {},
        );
        void renewing.finally(() => {
          renewing = undefined;
        });
      }, ttlMs / 3);
      timer.unref();
      return {
        lost: lost.signal,
        async release() {
          clearInterval(timer);
          await renewing;
          await redis.eval(RELEASE, 1, key(runId), holder).catch(() => {});
        },
      };
    },
    async isAlive(runId) {
      return (await redis.exists(key(runId))) === 1;
    },
  };
}
