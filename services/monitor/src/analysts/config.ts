import { port, positiveInt } from '@dossier/config';
import { z } from 'zod';

/** The analysts' ClickHouse HTTP endpoint; read by the composition root only. */
export const AnalystsConfig = z
  .object({
    ANALYSTS_PORT: port().default(8123),
    /** Loopback by default: expose to the network on purpose, with a password. */
    ANALYSTS_HOST: z.string().min(1).default('127.0.0.1'),
    ANALYSTS_USER: z.string().min(1).optional(),
    ANALYSTS_PASSWORD: z.string().min(1).optional(),
    ANALYSTS_MAX_RESULT_ROWS: positiveInt().default(1_000_000),
    ANALYSTS_MAX_RESULT_BYTES: positiveInt().default(100 * 1024 * 1024),
    ANALYSTS_MAX_EXECUTION_TIME_S: positiveInt().default(60),
    ANALYSTS_MAX_QUERY_BYTES: positiveInt().default(1024 * 1024),
    /** Threads per analyst query: one leaves the other core to ingestion and the KPI cycles. */
    ANALYSTS_MAX_THREADS: positiveInt().default(1),
    /** How long a query waits for a free slot (ANALYSTS_MAX_CONCURRENT_QUERIES) before code 202. */
    ANALYSTS_QUEUE_TIMEOUT_MS: positiveInt().default(10_000),
  })
  .superRefine((c, ctx) => {
    if ((c.ANALYSTS_USER === undefined) !== (c.ANALYSTS_PASSWORD === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['ANALYSTS_PASSWORD'],
        message: 'set ANALYSTS_USER and ANALYSTS_PASSWORD together',
      });
    }
  });
export type AnalystsConfig = z.output<typeof AnalystsConfig>;
