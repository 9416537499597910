import { describe, expect, it } from 'vitest';
import { ClusterDdlError, REPLICA_PATH, renderForCluster, stripComments } from '../src/cluster-ddl.ts';

const PATH_ARGS = `'${REPLICA_PATH}', '{replica}'`;

describe('renderForCluster', () => {
  it('puts tables ON CLUSTER on a Replicated twin of their engine, keeping its arguments', () => {
    const sql = `-- the newest wins (a comment with MergeTree and ON CLUSTER in it)
CREATE TABLE IF NOT EXISTS t_v1 (a UInt8, v UInt64) ENGINE = ReplacingMergeTree(v) ORDER BY a`;
    expect(renderForCluster(sql, 'dossier')).toBe(
      `CREATE TABLE IF NOT EXISTS t_v1 ON CLUSTER \`dossier\` (a UInt8, v UInt64) ENGINE = ReplicatedReplacingMergeTree(${PATH_ARGS}, v) ORDER BY a`,
    );
    expect(renderForCluster('CREATE TABLE t ENGINE = MergeTree ORDER BY a', 'c')).toBe(
      `CREATE TABLE t ON CLUSTER \`c\` ENGINE = ReplicatedMergeTree(${PATH_ARGS}) ORDER BY a`,
    );
    expect(
      renderForCluster('CREATE TABLE t (s Int8) ENGINE = CollapsingMergeTree(sign) ORDER BY s', 'c'),
    ).toContain(`ENGINE = ReplicatedCollapsingMergeTree(${PATH_ARGS}, sign)`);
  });

  it('keeps insert deduplication of a retried insert for as long as a non-replicated table would', () => {
    const out = renderForCluster(
      'CREATE TABLE t (a UInt8) ENGINE = SummingMergeTree ORDER BY a SETTINGS non_replicated_deduplication_window = 1000',
      'c',
    );
    expect(out).toContain(
      'SETTINGS replicated_deduplication_window = 1000, replicated_deduplication_window_seconds = 604800',
    );
    expect(out).not.toContain('non_replicated');
  });

  it('puts views, materialized views, ALTER, DROP and RENAME on the cluster; data statements stay as written', () => {
    expect(renderForCluster('CREATE MATERIALIZED VIEW IF NOT EXISTS m_v1 TO t AS SELECT 1', 'c')).toBe(
      'CREATE MATERIALIZED VIEW IF NOT EXISTS m_v1 ON CLUSTER `c` TO t AS SELECT 1',
    );
    expect(renderForCluster('CREATE VIEW IF NOT EXISTS v AS SELECT a FROM t FINAL', 'c')).toBe(
      'CREATE VIEW IF NOT EXISTS v ON CLUSTER `c` AS SELECT a FROM t FINAL',
    );
    expect(renderForCluster('ALTER TABLE t ADD COLUMN IF NOT EXISTS x String', 'c')).toBe(
      'ALTER TABLE t ON CLUSTER `c` ADD COLUMN IF NOT EXISTS x String',
    );
    expect(renderForCluster('DROP TABLE IF EXISTS t SYNC', 'c')).toBe(
      'DROP TABLE IF EXISTS t ON CLUSTER `c` SYNC',
    );
    expect(renderForCluster('RENAME TABLE a TO b', 'c')).toBe('RENAME TABLE a TO b ON CLUSTER `c`');
    expect(renderForCluster('INSERT INTO t SELECT * FROM u', 'c')).toBe('INSERT INTO t SELECT * FROM u');
  });

  it('refuses what it cannot render and texts that already name a cluster or a replicated engine', () => {
    expect(() => renderForCluster('OPTIMIZE TABLE t FINAL', 'c')).toThrow(ClusterDdlError);
    expect(() =>
      renderForCluster('CREATE TABLE t ON CLUSTER x (a UInt8) ENGINE = MergeTree ORDER BY a', 'c'),
    ).toThrow(/must not name a cluster/);
    expect(() =>
      renderForCluster("CREATE TABLE t (a UInt8) ENGINE = ReplicatedMergeTree('/p', 'r') ORDER BY a", 'c'),
    ).toThrow(/replicated engine/);
    expect(() => renderForCluster('CREATE TABLE t ENGINE = MergeTree ORDER BY a', 'c`; DROP')).toThrow(
      /invalid cluster name/,
    );
  });
});

describe('stripComments', () => {
  it('drops line and block comments but not what strings or quoted names contain', () => {
    expect(stripComments("-- head\nSELECT '--not' AS `a--b`, /* x */ 1 -- tail\n")).toBe(
      "SELECT '--not' AS `a--b`,   1",
    );
    expect(stripComments("SELECT 'it\\'s -- here'")).toBe("SELECT 'it\\'s -- here'");
  });
});
