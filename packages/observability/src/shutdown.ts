import type { Logger } from 'pino';

export interface ShutdownStep {
  name: string;
  run: () => Promise<unknown> | unknown;
}

export interface ShutdownOptions {
  logger: Logger;
  timeoutMs?: number;
  signals?: NodeJS.Signals[];
  exit?: (code: number) => void;
}

/**
 * Runs the steps in order on the first signal (stop intake first, close stores last). Past the deadline
 * the process exits non-zero; a second signal exits at once.
 */
export function onShutdown(steps: ShutdownStep[], options: ShutdownOptions): () => Promise<void> {
  const {
    logger,
    timeoutMs = 25_000,
    signals = ['SIGINT', 'SIGTERM'],
    exit = (c) => process.exit(c),
  } = options;
  let running: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    if (running) return running;
    running = (async () => {
      const timer = setTimeout(() => {
        logger.error({ timeoutMs }, 'shutdown deadline passed');
        exit(1);
      }, timeoutMs);
      timer.unref();
      let failed = false;
      for (const step of steps) {
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
  for (const signal of signals) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      process.once(signal, () => exit(130));
      void shutdown();
    });
  }
  return shutdown;
}
