import { EndpointError } from '@dossier/clickhouse-http';
import { describe, expect, it } from 'vitest';
import {
  formatClause,
  refuseDeniedNames,
  refuseDeniedReads,
  refuseEscapes,
  treeTarget,
} from '../../src/analysts/read-only-policy.ts';

const refusal = (formatted: string, check: (text: string) => void = refuseEscapes) => {
  try {
    check(formatted);
    return undefined;
  } catch (err) {
    return err instanceof EndpointError ? err.code : err;
  }
};

describe('read-only policy on the engine-formatted query', () => {
  it('finds the top-level FORMAT only', () => {
    expect(formatClause('SELECT 1 AS x\nFORMAT JSONEachRow')).toBe('JSONEachRow');
    expect(formatClause('SELECT 1')).toBeUndefined();
    expect(formatClause("SELECT 'FORMAT CSV' AS s")).toBeUndefined();
  });

  it('refuses a reset to DEFAULT and INTO OUTFILE with READONLY, not the same words in literals', () => {
    expect(refusal('SELECT 1\nSETTINGS readonly = DEFAULT')).toBe(164);
    expect(refusal('SET max_memory_usage = DEFAULT')).toBe(164);
    expect(refusal("SELECT 1\nINTO OUTFILE '/tmp/x'")).toBe(164);
    expect(refusal('SELECT \'a = DEFAULT\', `INTO OUTFILE`, "x = default"')).toBeUndefined();
    expect(refusal("SELECT 'it\\'s = DEFAULT'")).toBeUndefined();
  });

  it('refuses a statement naming a denied table, quoted or not, but not the name as a string', () => {
    expect(refusal('SHOW CREATE TABLE operator_actions_v1', refuseDeniedNames)).toBe(497);
    expect(refusal('SELECT *\nFROM default.`operator_actions_v1`', refuseDeniedNames)).toBe(497);
    expect(refusal('DESCRIBE TABLE dead_letters_v1', refuseDeniedNames)).toBe(497);
    expect(
      refusal("SELECT *\nFROM system.tables\nWHERE name = 'operator_actions_v1'", refuseDeniedNames),
    ).toBeUndefined();
    expect(refusal('SELECT *\nFROM operator_actions_v10', refuseDeniedNames)).toBeUndefined();
  });

  it('checks the tree of a SELECT and of the query an EXPLAIN explains, without its FORMAT', () => {
    expect(treeTarget('SELECT 1\nFORMAT JSON\n')).toBe('SELECT 1\n');
    expect(treeTarget('EXPLAIN header = 1\nWITH x AS (SELECT 1) SELECT * FROM x\n')).toBe(
      'WITH x AS (SELECT 1) SELECT * FROM x\n',
    );
    expect(treeTarget('SHOW TABLES')).toBeUndefined();
    expect(treeTarget('DESCRIBE TABLE kpi_latest')).toBeUndefined();
  });

  it('refuses a tree reading a denied table or calling a table function that reads tables', () => {
    const tree = (node: string) => `QUERY id: 0\n  JOIN TREE\n    ${node}\n`;
    expect(refusal(tree('TABLE id: 8, table_name: default.operator_actions_v1'), refuseDeniedReads)).toBe(
      497,
    );
    expect(
      refusal(tree('TABLE id: 3, alias: __table1, table_name: db2.dead_letters_v1'), refuseDeniedReads),
    ).toBe(497);
    expect(refusal(tree('TABLE_FUNCTION id: 3, table_function_name: merge'), refuseDeniedReads)).toBe(497);
    expect(refusal(tree('TABLE_FUNCTION id: 3, table_function_name: view'), refuseDeniedReads)).toBe(497);
    expect(refusal(tree('TABLE id: 8, table_name: default.dossiers_v1'), refuseDeniedReads)).toBeUndefined();
    expect(
      refusal(tree('TABLE_FUNCTION id: 3, table_function_name: numbers'), refuseDeniedReads),
    ).toBeUndefined();
  });
});
