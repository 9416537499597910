import { isIP } from 'node:net';
import {
  clickhouseUrl,
  csvList,
  logFormat,
  logLevel,
  port,
  positiveInt,
  redisUrl,
  secretKey,
  secretKeyList,
} from '@dossier/config';
import { z } from 'zod';

const token = () => z.string().min(16, 'at least 16 characters');

/** True for addresses only this machine can reach; a host name other than localhost may resolve anywhere. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare.startsWith('::ffff:127.');
}

/** `alice:<token>,bob:<token>`: named operator credentials, so the audit says whose credential acted. */
const operatorTokens = () =>
  csvList().pipe(
    z.array(z.string()).transform((entries, ctx) => {
      const named = new Map<string, string>();
      for (const entry of entries) {
        const colon = entry.indexOf(':');
        const id = entry.slice(0, colon);
        const secret = entry.slice(colon + 1);
        if (colon < 1 || !/^[\w.-]{1,64}$/.test(id))
          ctx.addIssue({
            code: 'custom',
            message: 'expected name:token entries (name: letters, digits, . _ -)',
          });
        else if (secret.length < 16)
          ctx.addIssue({ code: 'custom', message: `token of ${id}: at least 16 characters` });
        else if (named.has(id)) ctx.addIssue({ code: 'custom', message: `${id} is named twice` });
        else named.set(id, secret);
      }
      return named;
    }),
  );

/**
 * Fastify's trustProxy: unset trusts no forwarded header; `true` trusts any (only when nothing but the proxy
 * can reach the monitor); a number trusts that many hops; otherwise the proxies' addresses or CIDRs.
 */
const trustProxy = () =>
  z.string().transform((text): boolean | number | string[] => {
    if (text === 'true') return true;
    if (text === 'false') return false;
    if (/^\d+$/.test(text)) return Number(text);
    return text.split(',').map((part) => part.trim());
  });

/** What `startMonitor` needs to know; clients (ClickHouse, Redis, registry) arrive as deps. */
export const MonitorConfig = z
  .object({
    MONITOR_PORT: port().default(8080),
    /** Loopback by default: expose the monitor on purpose, with an operator credential. */
    MONITOR_HOST: z.string().min(1).default('127.0.0.1'),
    /** How often the shared registry's ingestor counters are sampled for the throughput panel. */
    MONITOR_SAMPLE_INTERVAL_MS: positiveInt().default(5_000),
    /** Samples kept for the throughput sparkline (window = interval × samples). */
    MONITOR_SAMPLE_WINDOW: positiveInt().default(60),
    /** Latest dead letters shown on the dashboard (source position and reason only, never the payload). */
    MONITOR_DEAD_LETTER_SAMPLE: positiveInt().max(100).default(10),
    /** Months of history in the trend charts. */
    MONITOR_TREND_MONTHS: positiveInt().max(120).default(24),
    /** How often dossiers_open_overdue and dossiers_due_soon are read again from the at-risk list. */
    MONITOR_AT_RISK_INTERVAL_MS: positiveInt().default(60_000),
    /** Top-level units those gauges label at most; the rest are summed under agency="_other". */
    MONITOR_AT_RISK_MAX_UNITS: positiveInt().max(1000).default(50),
    /**
     * The operator credential (credential id `admin`): Bearer token for scripts, exchanged for a session on
     * /login in a browser. `npm start` generates one into DATA_DIR when it is unset and the monitor is on loopback.
     */
    MONITOR_ADMIN_TOKEN: token().optional(),
    /** More operator credentials, each with its own id in the audit. */
    MONITOR_OPERATOR_TOKENS: operatorTokens().optional(),
    /** When set, reading (dashboard, APIs, /metrics, Bull Board) needs this token or an operator's. */
    MONITOR_VIEWER_TOKEN: token().optional(),
    /** How long a browser session lasts after logging in (absolute, not sliding). */
    MONITOR_SESSION_TTL_MINUTES: positiveInt()
      .max(7 * 24 * 60)
      .default(480),
    MONITOR_TRUST_PROXY: trustProxy().optional(),
  })
  .superRefine((c, ctx) => {
    const operators = [
      ...(c.MONITOR_ADMIN_TOKEN ? [c.MONITOR_ADMIN_TOKEN] : []),
      ...(c.MONITOR_OPERATOR_TOKENS?.values() ?? []),
    ];
    if (operators.length === 0 && !isLoopbackHost(c.MONITOR_HOST))
      ctx.addIssue({
        code: 'custom',
        path: ['MONITOR_ADMIN_TOKEN'],
        message: `MONITOR_HOST=${c.MONITOR_HOST} lets other machines reach the monitor, and no operator credential is configured: set MONITOR_ADMIN_TOKEN (16+ characters, e.g. \`openssl rand -hex 32\`) or MONITOR_OPERATOR_TOKENS, or bind MONITOR_HOST=127.0.0.1`,
      });
    if (c.MONITOR_OPERATOR_TOKENS?.has('admin') && c.MONITOR_ADMIN_TOKEN)
      ctx.addIssue({
        code: 'custom',
        path: ['MONITOR_OPERATOR_TOKENS'],
        message: 'the id admin is MONITOR_ADMIN_TOKEN’s: name this credential otherwise',
      });
    if (new Set(operators).size !== operators.length)
      ctx.addIssue({
        code: 'custom',
        path: ['MONITOR_OPERATOR_TOKENS'],
        message: 'two operator credentials share a token: each needs its own',
      });
    if (c.MONITOR_VIEWER_TOKEN && operators.includes(c.MONITOR_VIEWER_TOKEN))
      ctx.addIssue({
        code: 'custom',
        path: ['MONITOR_VIEWER_TOKEN'],
        message: 'the viewer token must differ from every operator token',
      });
  });
export type MonitorConfig = z.output<typeof MonitorConfig>;

/** The standalone process (`main.ts`) also builds its own clients; the credential rules above still apply. */
export const MonitorMainConfig = MonitorConfig.safeExtend({
  /** Opens sealed dead letters for a replay; required with KAFKA_BROKERS (the replay needs it). */
  DEAD_LETTER_KEY: secretKey().optional(),
  DEAD_LETTER_PREVIOUS_KEYS: secretKeyList().default([]),
  CLICKHOUSE_URL: clickhouseUrl().default('chdb:./data/clickhouse'),
  REDIS_URL: redisUrl().default('redis://127.0.0.1:6379'),
  /** The aggregator's own variables, so one compose environment configures both processes alike. */
  AGGREGATOR_QUEUE: z.string().min(1).default('kpi-aggregator'),
  AGGREGATOR_PREFIX: z.string().min(1).default('bull'),
  /**
   * With brokers the monitor also serves the dead-letter list and replay, and reads the ingestors' lag from
   * Kafka; without, it never touches Kafka.
   */
  KAFKA_BROKERS: csvList().optional(),
  /** Where the loader of Decision 766 external figures sends them (the ingestor's TOPIC_INDEX766_EXTERNAL). */
  TOPIC_INDEX766_EXTERNAL: z.string().min(1).default('dossier.index766-external.v1'),
  /** The ingestors' own variables: whose lag, on which topics (one compose environment for both). */
  KAFKA_GROUP_ID: z.string().default('dossier-ingestor'),
  TOPIC_EVENTS: z.string().default('dossier.events.v1'),
  TOPIC_DVCQG: z.string().default('dossier.dvcqg-sync.v1'),
  TOPIC_CATALOG: z.string().default('dossier.catalog.v1'),
  LOG_LEVEL: logLevel(),
  LOG_FORMAT: logFormat(),
}).superRefine((c, ctx) => {
  if (c.KAFKA_BROKERS && !c.DEAD_LETTER_KEY)
    ctx.addIssue({
      code: 'custom',
      path: ['DEAD_LETTER_KEY'],
      message: 'required with KAFKA_BROKERS: the dead-letter replay opens the sealed letters with it',
    });
});
export type MonitorMainConfig = z.output<typeof MonitorMainConfig>;

/** Defaults for callers that build the config in code (the all-in-one process, tests). */
export function monitorConfig(overrides: Partial<z.input<typeof MonitorConfig>> = {}): MonitorConfig {
  return MonitorConfig.parse(overrides);
}
