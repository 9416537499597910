import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    redisUrl: string;
    /** `http(s)://` ClickHouse server shared by the run, or '' for embedded chDB per test file. */
    clickhouseUrl: string;
  }
}

type Key = 'kafkaBrokers' | 'redisUrl' | 'clickhouseUrl';

/** `inject(key)`, or undefined outside a vitest worker (e.g. a script reusing these helpers). */
export function safeInject<K extends Key>(key: K): ReturnType<typeof inject<K>> | undefined {
  try {
    return inject(key);
  } catch {
    return undefined;
  }
}
