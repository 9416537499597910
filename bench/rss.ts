// Peak resident memory per phase of a benchmark, sampled every 100 ms (a statement's peak can be short),
// and optionally what takes it: a slower sample of its parts (memory-parts.ts) beside it, the one with the
// highest resident set of each phase kept.
import { readFileSync } from 'node:fs';
import type { RssParts } from './memory-parts.ts';

export type PhaseMemory = Record<string, number>;

/** Per phase: the parts of the detailed sample taken at the phase's highest resident set, and maxima. */
export interface PhaseParts {
  /** The detailed sample with the highest resident set (its `rss` is at or a little below the peak). */
  atPeak: RssParts;
  /** The highest of each over the phase's detailed samples, MiB. */
  max: {
    engineTracked: number;
    allocatorKept: number;
    allocatorDirty: number;
    v8Heap: number;
    nodeExternal: number;
  };
  samples: number;
}

export interface RssSampler {
  /** Ends the current phase (recording its peak) and starts `name`. */
  phase(name: string): void;
  /** Ends the current phase; returns the peak of each phase, MiB. */
  stop(): PhaseMemory;
  /** After stop: the parts of each phase (empty without a detail reader), once its last sample settled. */
  parts(): Promise<Record<string, PhaseParts>>;
}

/** Resident set of a process in bytes (Linux /proc), or undefined once it has exited. */
export function rssOf(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Samples `read` (default: this process's RSS) and keeps the peak of each named phase; with `detail`, also
 * samples the parts every `detailMs` (one at a time) and keeps each phase's highest.
 */
export function rssSampler(
  read: () => number | undefined = () => process.memoryUsage().rss,
  detail?: () => Promise<RssParts | undefined>,
  detailMs = 1_000,
): RssSampler {
  const peaks: PhaseMemory = {};
  const parts: Record<string, PhaseParts> = {};
  let current: string | undefined;
  let peak = 0;
  let stopped = false;
  let wake = () => {};
  const sample = () => {
    peak = Math.max(peak, read() ?? 0);
  };
  const timer = setInterval(sample, 100);
  timer.unref();
  const close = () => {
    if (current === undefined) return;
    sample();
    peaks[current] = Math.max(peaks[current] ?? 0, Math.round(peak / 2 ** 20));
    current = undefined;
  };
  const keep = (name: string, p: RssParts) => {
    const kept = parts[name];
    const max = (key: keyof PhaseParts['max']) => Math.max(kept?.max[key] ?? 0, p[key]);
    parts[name] = {
      atPeak: kept && kept.atPeak.rss >= p.rss ? kept.atPeak : p,
      max: {
        engineTracked: max('engineTracked'),
        allocatorKept: max('allocatorKept'),
        allocatorDirty: max('allocatorDirty'),
        v8Heap: max('v8Heap'),
        nodeExternal: max('nodeExternal'),
      },
      samples: (kept?.samples ?? 0) + 1,
    };
  };
  const detailing = (async () => {
    if (!detail) return;
    while (!stopped) {
      const name = current;
      const p = await detail().catch(() => undefined);
      // A sample that straddled a phase change is left out: it may belong to either.
      if (p && name !== undefined && name === current) keep(name, p);
      await new Promise<void>((resolve) => {
        const pause = setTimeout(resolve, detailMs);
        wake = () => {
          clearTimeout(pause);
          resolve();
        };
      });
    }
  })();
  return {
    phase(name) {
      close();
      current = name;
      peak = 0;
      sample();
    },
    stop() {
      close();
      clearInterval(timer);
      stopped = true;
      wake();
      return peaks;
    },
    async parts() {
      await detailing;
      return parts;
    },
  };
}
