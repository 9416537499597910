import type { Logger } from 'pino';

export interface ShutdownStep {
  name: string;
  run: () => Promise<unknown> | unknown;
}

export interface ShutdownOptions {
  logger: Logger;
  timeoutMs?: number;
  signals?: NodeJS.Signals[];
  /** Ends the process once every step is done. */
  exit?: (code: number) => void;
  /**
   * Ends the process past the deadline, or on a second signal, in a way nothing inside it can block.
   * Default: flush the logs, then SIGKILL this process (see {@link killSelf}).
   */
  kill?: () => void;
  /**
   * A repeat of a signal this soon after the first is the same stop delivered twice, not a second press:
   * at a terminal Ctrl-C signals the whole process group, and `npm start` forwards the signal it got to
   * its child as well, so the process receives SIGINT twice within milliseconds.
   */
  repeatWindowMs?: number;
  /** The clock `repeatWindowMs` is measured on (tests pass their own). */
  now?: () => number;
}

/** How long {@link killSelf} waits for the log transport to take its last lines. */
const FLUSH_MS = 2_000;

/**
 * `process.exit` joins libuv's thread pool, so it waits for a native call still running there (a chDB
 * statement cannot be interrupted: under load one ran minutes past the deadline, #15). SIGKILL cannot be
 * waited on; the log lines are flushed first, since no exit hook runs after it.
 */
export function killSelf(logger: Logger): void {
  const kill = () => process.kill(process.pid, 'SIGKILL');
  // Not unref'd: were the loop to run empty, node would end through the very exit that can hang.
  setTimeout(kill, FLUSH_MS);
  try {
    logger.flush(() => kill());
  } catch {
    kill();
  }
}

/**
 * Runs the steps in order on the first signal (stop intake first, close stores last). The deadline is a
 * hard bound: past it the process logs the step it still waited for and is killed; a second signal kills
 * it at once, unless it comes within `repeatWindowMs` of the first (then it is the first one delivered
 * twice). At-least-once intake with idempotent writes makes that safe: offsets are committed only after
 * the rows they carry are written, and a KPI cycle cut short is computed again.
 */
export function onShutdown(steps: ShutdownStep[], options: ShutdownOptions): () => Promise<void> {
  const {
    logger,
    timeoutMs = 25_000,
    signals = ['SIGINT', 'SIGTERM'],
    exit = (c) => process.exit(c),
    kill = () => killSelf(logger),
    repeatWindowMs = 1_000,
    now = Date.now,
  } = options;
  let running: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    if (running) return running;
    running = (async () => {
      let waitingFor = steps[0]?.name ?? 'exit';
      const timer = setTimeout(() => {
        logger.error({ timeoutMs, waitingFor }, 'shutdown deadline passed, killing the process');
        kill();
      }, timeoutMs);
      timer.unref();
      let failed = false;
      for (const step of steps) {
        waitingFor = step.name;
        try {
          await step.run();
          logger.info({ step: step.name }, 'shutdown step done');
        } catch (err) {
          failed = true;
          logger.error({ step: step.name, err }, 'shutdown step failed');
        }
      }
      clearTimeout(timer);
      exit(failed ? 1 : 0);
    })();
    return running;
  };
  // One listener per signal for the life of the process, never once(): while a signal has no listener
  // Node restores its default action (SIGINT, SIGTERM: die at once, logging nothing), and npm's forwarded
  // copy of a Ctrl-C can land in that moment.
  let first: number | undefined;
  for (const signal of signals) {
    process.on(signal, () => {
      if (first === undefined) {
        first = now();
        logger.info({ signal }, 'shutting down');
        void shutdown();
        return;
      }
      if (now() - first < repeatWindowMs) {
        logger.info({ signal, repeatWindowMs }, 'signal repeated at once, taken as the same stop');
        return;
      }
      logger.warn({ signal }, 'second signal, killing the process');
      kill();
    });
  }
  return shutdown;
}
