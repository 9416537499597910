export interface CounterSample {
  /** Milliseconds since the epoch. */
  at: number;
  accepted: number;
  rejected: number;
}

export interface RatePoint {
  at: number;
  accepted: number;
  rejected: number;
}

/**
 * Messages per second between consecutive samples. A counter that went down (a restarted ingestor in the
 * same process) contributes its new value, as Prometheus' rate() treats resets.
 */
export function ratesFromSamples(samples: readonly CounterSample[]): RatePoint[] {
  const points: RatePoint[] = [];
  for (let i = 1; i < samples.length; i++) {
    const prev = samples[i - 1]!;
    const cur = samples[i]!;
    const seconds = (cur.at - prev.at) / 1000;
    if (seconds <= 0) continue;
    const delta = (a: number, b: number) => (b >= a ? b - a : b);
    points.push({
      at: cur.at,
      accepted: delta(prev.accepted, cur.accepted) / seconds,
      rejected: delta(prev.rejected, cur.rejected) / seconds,
    });
  }
  return points;
}

/** A fixed-size ring of samples: memory stays constant however long the monitor runs. */
export function createSampleWindow(size: number) {
  const samples: CounterSample[] = [];
  return {
    push(sample: CounterSample) {
      samples.push(sample);
      if (samples.length > size) samples.shift();
    },
    samples: (): readonly CounterSample[] => samples,
  };
}
