// One ClickHouse version: the server docker-compose.yml deploys (and testcontainers starts) is the release
// whose engine the pinned chDB embeds, or the LTS release right after it, so SQL tested on the embedded
// engine is the SQL production runs. Upgrading chdb or the image without the other fails here.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createTestClickHouse } from '../support/clickhouse.ts';
import { composeClickHouseImage } from '../support/start-clickhouse.ts';
import { REPO } from '../support/test-log.ts';

/** ClickHouse's long-term-support releases are each year's .3 and .8. */
function nextLts(year: number, month: number): string {
  if (month <= 3) return `${year}.3`;
  if (month <= 8) return `${year}.8`;
  return `${year + 1}.3`;
}

function releaseOf(version: string): { year: number; month: number } {
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (!match) throw new Error(`not a ClickHouse version: ${version}`);
  return { year: Number(match[1]), month: Number(match[2]) };
}

describe('the ClickHouse version', () => {
  it('is the same release (or the LTS right after) in chDB, docker-compose.yml and the README', async () => {
    const ch = await createTestClickHouse({ embedded: true, migrate: false });
    let engine: string;
    try {
      const result = await ch.clickhouse.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
      engine = ((await result.json<{ v: string }>())[0]?.v ?? '').trim();
    } finally {
      await ch.close();
    }
    const { year, month } = releaseOf(engine);
    const allowed = [`${year}.${month}`, nextLts(year, month)];

    const image = composeClickHouseImage();
    const tag = /^clickhouse\/clickhouse-server:(\d+\.\d+)$/.exec(image)?.[1];
    expect(tag, `${image} pins a year.month release`).toBeDefined();
    expect(allowed, `chDB embeds ${engine}; docker-compose.yml runs ${image}`).toContain(tag);

    // The pin is exact, so every install gets the engine checked here.
    const require = createRequire(`${REPO}/packages/clickhouse/package.json`);
    const chdb = require('chdb/package.json') as { version: string };
    const declared = JSON.parse(readFileSync(`${REPO}/packages/clickhouse/package.json`, 'utf8'));
    expect(declared.dependencies.chdb).toBe(chdb.version);

    const readme = readFileSync(`${REPO}/README.md`, 'utf8');
    expect(readme).toContain(`\`chdb\` ${chdb.version} (ClickHouse ${year}.${month})`);
    expect(readme).toContain(`\`clickhouse/clickhouse-server:${tag}\``);
  });
});
