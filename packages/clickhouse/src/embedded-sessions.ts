import { EMBEDDED_PREFIX, isEmbeddedUrl } from './create-clickhouse.ts';
import { headerLength, isStreamable } from './streamable-formats.ts';

/** One block of a streamed result: bytes in the requested format and the rows they hold. */
export interface EmbeddedChunk {
  bytes: Uint8Array;
  rows: number;
}

/**
 * A connection of its own on the embedded engine: its settings, current database and query
 * parameters are its own, and it runs one statement at a time. Statements without `{name:Type}`
 * placeholders never wait for other connections; bind values with `SET param_<name>` instead.
 */
export interface EmbeddedSession {
  /** Runs statements (several, separated by `;`) and returns the last one's result. */
  run(sql: string, format?: string): Promise<Buffer>;
  /**
   * One statement's result in `format` (the query's own FORMAT clause, else the default), block by
   * block when the format allows it, else in one piece; breaking out of the loop cancels it.
   */
  stream(sql: string, format: string): AsyncIterable<EmbeddedChunk>;
  close(): void;
}

export interface EmbeddedEngine {
  openSession(): EmbeddedSession;
}

/**
 * Sessions on the embedded engine at a `chdb:<dir>` URL, for readers that need streaming or session
 * state of their own (the analysts' endpoint). The engine itself is shared with every client of the
 * process on the same directory.
 */
export async function openEmbeddedEngine(url: string): Promise<EmbeddedEngine> {
  if (!isEmbeddedUrl(url)) throw new Error('openEmbeddedEngine needs a chdb:<dir> URL');
  const path = url.slice(EMBEDDED_PREFIX.length) || './data/clickhouse';
  const { Session } = await import('chdb');
  return {
    openSession() {
      const session = new Session(path);
      return {
        run: async (sql, format = 'TSV') => Buffer.from((await session.queryAsync(sql, { format })).bytes()),
        stream: (sql, format) => ({
          async *[Symbol.asyncIterator]() {
            if (!isStreamable(format)) {
              const result = await session.queryAsync(sql, { format });
              yield { bytes: result.bytes(), rows: 0 };
              return;
            }
            let header: Buffer | undefined;
            for await (const chunk of session.queryStream(sql, { format })) {
              const bytes = Buffer.from(chunk.raw());
              if (header === undefined) {
                header = bytes.subarray(0, headerLength(format, bytes));
                yield { bytes, rows: chunk.numRows };
              } else {
                const repeated = bytes.subarray(0, header.length).equals(header) ? header.length : 0;
                yield { bytes: bytes.subarray(repeated), rows: chunk.numRows };
              }
            }
          },
        }),
        close: () => session.close(),
      };
    },
  };
}

/**
 * Resolves once no chDB statement of this process runs any more. chDB cannot interrupt a statement (an
 * aborted call rejects at once and the statement goes on), and `process.exit` joins libuv's threads, so
 * it would wait for one still running: a shutdown awaits this under its deadline before it exits.
 */
export async function embeddedStatementsDone(): Promise<void> {
  const { drainPending } = await import('chdb');
  await drainPending();
}
