import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { type ClickHouse, createClickHouse, migrate } from '@dossier/clickhouse';
import { safeInject } from './provided.ts';
import { CHDB_DIR_PREFIX, ownedTempPrefix } from './stale-dirs.ts';
import { testLogger } from './test-log.ts';

export interface TestClickHouse {
  /** Migrated client, private to the caller: its own database (server) or data dir (chDB). */
  clickhouse: ClickHouse;
  /**
   * The same store as a URL for code under test: `http://…/<database>` or `chdb:<dir>`. chDB
   * sessions on the same dir coexist in one process, so a service started in the test may open it.
   */
  url: string;
  /** Closes the client and drops the database / removes the chDB dir. */
  close(): Promise<void>;
}

// chDB binds one data directory per process. Checked with chdb 3.4: opening a second directory
// while one is open fails ("only one active data directory per process"); after close() the same
// process CAN open another directory (and reopen the first). So calls in one test file must be
// sequential: close the previous TestClickHouse before creating the next.
let embeddedOpen: string | undefined;

/**
 * A migrated ClickHouse for the current test file: the server at `CLICKHOUSE_URL` (or the run's
 * testcontainer) with a fresh database per call, else embedded chDB in a fresh temp dir. Code that
 * exists only in embedded mode (the analysts' endpoint) asks for `{ embedded: true }`.
 */
export async function createTestClickHouse(options: CreateOptions = {}): Promise<TestClickHouse> {
  const serverUrl = safeInject('clickhouseUrl') || process.env.CLICKHOUSE_URL?.trim();
  if (serverUrl && !serverUrl.startsWith('chdb:') && !options.embedded)
    return createOnServer(serverUrl, options);
  return createEmbedded(options);
}

interface CreateOptions {
  /** Embedded chDB even when a server is configured (code that exists only in embedded mode). */
  embedded?: boolean;
  /** Apply the migrations (default true); false leaves an empty store, for tests of migrating forward. */
  migrate?: boolean;
}

async function createOnServer(serverUrl: string, options: CreateOptions): Promise<TestClickHouse> {
  const database = `test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await createClickHouse({
    url: serverUrl,
    application: 'dossier-tests',
    logger: testLogger('clickhouse'),
  });
  try {
    await admin.command({ query: `CREATE DATABASE ${database}` });
  } finally {
    await admin.close();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const clickhouse = await createClickHouse({
    url: url.toString(),
    application: 'dossier-tests',
    logger: testLogger('clickhouse'),
  });
  if (options.migrate !== false) await migrate(clickhouse);
  return {
    clickhouse,
    url: url.toString(),
    async close() {
      try {
        await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${database}` });
      } finally {
        await clickhouse.close();
      }
    },
  };
}

async function createEmbedded(options: CreateOptions): Promise<TestClickHouse> {
  if (embeddedOpen) {
    throw new Error(
      `chDB at ${embeddedOpen} is still open in this process; close() it before creating another ` +
        '(chDB binds one data directory per process)',
    );
  }
  const dir = await mkdtemp(ownedTempPrefix(CHDB_DIR_PREFIX));
  embeddedOpen = dir;
  const url = `chdb:${dir}`;
  let clickhouse: ClickHouse | undefined;
  try {
    clickhouse = await createClickHouse({
      url,
      application: 'dossier-tests',
      logger: testLogger('clickhouse'),
    });
    if (options.migrate !== false) await migrate(clickhouse);
  } catch (err) {
    await clickhouse?.close();
    await rm(dir, { recursive: true, force: true });
    embeddedOpen = undefined;
    throw err;
  }
  const client = clickhouse;
  let closed = false;
  return {
    clickhouse: client,
    url,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await client.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
        embeddedOpen = undefined;
      }
    },
  };
}
