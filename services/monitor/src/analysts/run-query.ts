import { randomUUID } from 'node:crypto';
import type { ClickHouse } from '@dossier/clickhouse';
import { CODES, EndpointError } from './clickhouse-errors.ts';
import type { AnalystQuery } from './request.ts';

export interface Limits {
  maxResultRows: number;
  maxResultBytes: number;
  maxExecutionTimeS: number;
}

export interface QueryResult {
  body: Buffer;
  format: string;
  queryId: string;
  summary: Record<string, string>;
}

/**
 * Settings sent with every query, so the engine itself refuses writes, DDL and any change of a
 * setting (limits included) with code 164. readonly comes last so the limits are in place before it
 * locks them.
 */
function lockedSettings(limits: Limits) {
  return {
    max_result_rows: String(limits.maxResultRows),
    max_result_bytes: String(limits.maxResultBytes),
    result_overflow_mode: 'throw',
    max_execution_time: limits.maxExecutionTimeS,
    readonly: '1',
  } as const;
}

/** A ClickHouse string literal holding `text` exactly (backslash escapes, as the engine's lexer reads them). */
export function stringLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The FORMAT of the query's top level, read from the engine's own formatting of it. */
export function formatClause(formatted: string): string | undefined {
  let found: string | undefined;
  for (const match of formatted.matchAll(/(?:^|\n)FORMAT (\w+)/g)) found = match[1];
  return found;
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

/**
 * Runs one analyst query on the read-only session, one at a time: `USE` and the settings are
 * session state, so two interleaved queries could see each other's database.
 */
export function createQueryRunner(clickhouse: ClickHouse, limits: Limits) {
  const locked = lockedSettings(limits);
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  const exec = async (
    query: string,
    settings: Record<string, string | number>,
    params?: Record<string, string>,
  ) => {
    const result = await clickhouse.exec({
      query,
      query_params: params,
      clickhouse_settings: { ...locked, ...settings },
    });
    return { body: await readAll(result.stream), summary: result.summary, queryId: result.query_id };
  };

  return {
    /** Locks the session before the first analyst arrives. */
    init: () => serial(() => exec('SELECT 1', { default_format: 'TSV' })).then(() => undefined),
    version: () =>
      serial(() => exec('SELECT version()', { default_format: 'TSVRaw' })).then((r) =>
        r.body.toString().trim(),
      ),
    run: (q: AnalystQuery): Promise<QueryResult> =>
      serial(async () => {
        // The shared client sets every per-call setting back to its default after the call, so the
        // lock is re-applied per query. User settings come after readonly=1 in the SET sequence, so
        // the engine refuses them itself; a user value for a locked key would replace the lock's own
        // value before readonly takes hold, so it is refused here with the engine's error.
        for (const key of Object.keys(q.settings)) {
          if (key in locked) {
            throw new EndpointError(CODES.READONLY, `Cannot modify '${key}' setting in readonly mode`);
          }
        }
        // The engine's parser decides what one statement is; multi-statements are refused like over HTTP.
        // A literal, not a bound parameter: chDB runs every parameterized statement of the process one at
        // a time, so binding here would queue each analyst query behind the aggregator's running statement.
        const parsed = await exec(`SELECT formatQuery(${stringLiteral(q.sql)})`, {
          default_format: 'TSVRaw',
        });
        const format = formatClause(parsed.body.toString()) ?? q.defaultFormat;
        const result = await exec(
          `USE \`${q.database}\`; ${q.sql}`,
          { ...q.settings, default_format: q.defaultFormat },
          q.params,
        );
        const summary = Object.fromEntries(
          Object.entries(result.summary ?? {}).map(([k, v]) => [k, String(v)]),
        );
        return { body: result.body, format, queryId: q.queryId ?? randomUUID(), summary };
      }),
  };
}

export type QueryRunner = ReturnType<typeof createQueryRunner>;
