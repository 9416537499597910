import { randomUUID } from 'node:crypto';
import {
  type EmbeddedEngine,
  type EmbeddedSession,
  QUERY_PARAM_NAME,
  stringLiteral,
} from '@dossier/clickhouse';
import {
  CODES,
  EndpointError,
  type HttpQuery,
  type QueryBackend,
  type QueryExecution,
  type ResultChunk,
} from '@dossier/clickhouse-http';
import {
  type AnalystLimits,
  formatClause,
  lockedSettings,
  refuseDeniedNames,
  refuseDeniedReads,
  refuseEscapes,
  refuseLockedSettings,
  treeTarget,
} from './read-only-policy.ts';

const MAX_SESSIONS = 64;
/** Statements chDB can stream; anything else (writes included, which readonly refuses) runs whole. */
const READS = /^\s*(\(|SELECT\b|WITH\b|SHOW\b|DESCRIBE\b|DESC\b|EXPLAIN\b|EXISTS\b)/i;

interface NamedSession {
  session: EmbeddedSession;
  busy: boolean;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Runs each analyst query on a connection of its own (or the one of its `session_id`), locked to
 * readonly=1 under the analysts' limits, and streams the result block by block. Query parameters are
 * bound by the engine through `SET param_<name>`, per connection, so analysts never wait in the
 * process-wide queue chDB keeps for bound statements.
 */
export function createReadOnlyBackend(engine: EmbeddedEngine, limits: AnalystLimits) {
  const locked = lockedSettings(limits);
  const lock = locked
    .map(([name, value]) => `SET ${name} = ${typeof value === 'number' ? value : stringLiteral(value)}`)
    .join('; ');
  const sessions = new Map<string, NamedSession>();
  const admission = createAdmission(limits.concurrency, limits.queueTimeoutMs);

  function fresh(): EmbeddedSession {
    const session = engine.openSession();
    return session;
  }

  async function acquire(
    query: HttpQuery,
  ): Promise<{ session: EmbeddedSession; release: () => void; isNew: boolean }> {
    if (!query.session) {
      const session = fresh();
      return { session, release: () => session.close(), isNew: true };
    }
    const { id, timeoutS, check } = query.session;
    let named = sessions.get(id);
    if (named?.busy) {
      throw new EndpointError(
        CODES.SESSION_IS_LOCKED,
        `Session ${id.slice(0, 64)} is locked by a concurrent client`,
      );
    }
    const isNew = !named;
    if (!named) {
      if (check) throw new EndpointError(CODES.SESSION_NOT_FOUND, `Session ${id.slice(0, 64)} not found`);
      if (sessions.size >= MAX_SESSIONS) {
        throw new EndpointError(
          CODES.TOO_MANY_SIMULTANEOUS_QUERIES,
          `Too many open sessions (${MAX_SESSIONS})`,
        );
      }
      named = { session: fresh(), busy: false, timer: undefined };
      sessions.set(id, named);
    }
    const entry = named;
    entry.busy = true;
    clearTimeout(entry.timer);
    return {
      session: entry.session,
      isNew,
      release: () => {
        entry.busy = false;
        entry.timer = setTimeout(() => {
          sessions.delete(id);
          entry.session.close();
        }, timeoutS * 1000);
        entry.timer.unref();
      },
    };
  }

  async function prepare(
    session: EmbeddedSession,
    query: HttpQuery,
    isNew: boolean,
  ): Promise<{ format: string; reads: boolean }> {
    const statements = isNew ? [lock] : [];
    if (query.database) statements.push(`USE \`${query.database}\``);
    // After readonly=1: the engine itself refuses a value that differs from the current one.
    for (const [name, value] of Object.entries(query.settings)) {
      if (name !== 'readonly') statements.push(`SET ${name} = ${stringLiteral(value)}`);
    }
    for (const [name, value] of Object.entries(query.params)) {
      if (!QUERY_PARAM_NAME.test(name)) {
        throw new EndpointError(CODES.BAD_ARGUMENTS, `Invalid query parameter name '${name.slice(0, 60)}'`);
      }
      statements.push(`SET param_${name} = ${stringLiteral(value)}`);
    }
    if (statements.length > 0) await session.run(statements.join('; '));
    // The engine's parser decides what the statement is; its formatting is what the policy reads.
    const formatted = (
      await session.run(`SELECT formatQuery(${stringLiteral(query.sql)})`, 'TSVRaw')
    ).toString();
    refuseEscapes(formatted);
    refuseDeniedNames(formatted);
    const target = treeTarget(formatted);
    if (target !== undefined) {
      refuseDeniedReads((await session.run(`EXPLAIN QUERY TREE ${target}`, 'TSVRaw')).toString());
    }
    return { format: formatClause(formatted) ?? query.defaultFormat, reads: READS.test(formatted) };
  }

  const backend: QueryBackend = {
    async execute(query: HttpQuery, signal: AbortSignal): Promise<QueryExecution> {
      refuseLockedSettings(query, locked);
      const leave = await admission.enter(signal);
      let acquired: Awaited<ReturnType<typeof acquire>>;
      try {
        acquired = await acquire(query);
      } catch (err) {
        leave();
        throw err;
      }
      const { session, isNew } = acquired;
      const release = () => {
        acquired.release();
        leave();
      };
      let format: string;
      let reads: boolean;
      try {
        ({ format, reads } = await prepare(session, query, isNew));
      } catch (err) {
        release();
        throw err;
      }
      let released = false;
      const done = () => {
        if (released) return;
        released = true;
        release();
      };
      const inner = (async function* (): AsyncGenerator<ResultChunk> {
        try {
          if (!reads) {
            yield { bytes: await session.run(query.sql, format), rows: 0 };
            return;
          }
          for await (const chunk of session.stream(query.sql, format)) {
            if (signal.aborted) return;
            yield chunk;
          }
        } finally {
          done();
        }
      })();
      // return() before the first next() never enters the generator, so the release is repeated here.
      const chunks: AsyncIterable<ResultChunk> = {
        [Symbol.asyncIterator]: () => ({
          next: () => inner.next(),
          return: async () => {
            const result = await inner.return(undefined);
            done();
            return result;
          },
        }),
      };
      return { format, queryId: query.queryId ?? randomUUID(), chunks };
    },
  };

  return {
    backend,
    async version(): Promise<string> {
      const session = fresh();
      try {
        return (await session.run('SELECT version()', 'TSVRaw')).toString().trim();
      } finally {
        session.close();
      }
    },
    close(): void {
      for (const [id, named] of sessions) {
        clearTimeout(named.timer);
        named.session.close();
        sessions.delete(id);
      }
    },
  };
}

/**
 * At most `limit` analysts' queries at once, so together they stay within the analysts' share of the
 * memory budget; the next ones wait in order, up to `timeoutMs`, as ClickHouse's queue_max_wait_ms.
 */
export function createAdmission(limit: number, timeoutMs: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  const leave = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  return {
    get running() {
      return running;
    },
    async enter(signal: AbortSignal): Promise<() => void> {
      if (running < limit) {
        running++;
        return once(leave);
      }
      await new Promise<void>((resolve, reject) => {
        const turn = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const giveUp = (err: unknown) => {
          const at = waiting.indexOf(turn);
          if (at >= 0) waiting.splice(at, 1);
          signal.removeEventListener('abort', onAbort);
          reject(err);
        };
        const timer = setTimeout(
          () =>
            giveUp(
              new EndpointError(
                CODES.TOO_MANY_SIMULTANEOUS_QUERIES,
                `Too many simultaneous queries. Maximum: ${limit}`,
              ),
            ),
          timeoutMs,
        );
        const onAbort = () => {
          clearTimeout(timer);
          giveUp(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiting.push(turn);
      });
      return once(leave);
    },
  };
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
