// Peak resident memory per phase of a benchmark, sampled every 100 ms (a statement's peak can be short).
import { readFileSync } from 'node:fs';

export type PhaseMemory = Record<string, number>;

export interface RssSampler {
  /** Ends the current phase (recording its peak) and starts `name`. */
  phase(name: string): void;
  /** Ends the current phase; returns the peak of each phase, MiB. */
  stop(): PhaseMemory;
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

/** Samples `read` (default: this process's RSS) and keeps the peak of each named phase. */
export function rssSampler(read: () => number | undefined = () => process.memoryUsage().rss): RssSampler {
  const peaks: PhaseMemory = {};
  let current: string | undefined;
  let peak = 0;
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
      return peaks;
    },
  };
}
