import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KPI_CATALOG } from '../src/catalog.ts';
import { dossierCellLayout } from '../src/cell-layout.ts';
import { COMPONENTS } from '../src/index766/components.ts';
import {
  definingFile,
  KPI_MAP_COMMAND,
  KPI_MAP_END,
  KPI_MAP_START,
  KPI_README,
  kpiSources,
  renderKpiMap,
  withKpiMap,
} from '../src/kpi-map.ts';
import { definitionsIn } from '../src/kpi-map-index766.ts';
import { INDEX766_COUNTERS, PROCEDURE_COUNTERS } from '../src/sql/counters.sql.ts';
import { COUNTS } from '../src/sql/index766-values.sql.ts';

describe('the KPI map in packages/kpi/README.md', () => {
  const sources = kpiSources();
  const map = renderKpiMap(sources);

  it('is the one the catalog generates now', () => {
    const readme = readFileSync(KPI_README, 'utf8');
    const stale = withKpiMap(readme, map) !== readme;
    expect(stale, `packages/kpi/README.md is stale: run \`${KPI_MAP_COMMAND}\` and commit the README`).toBe(
      false,
    );
  });

  it('names every KPI of the catalog, the file defining it and where its numbers come from', () => {
    for (const kpi of KPI_CATALOG) {
      const file = definingFile(kpi.id, sources);
      expect(file, kpi.id).toBeDefined();
      const entry = map.slice(map.indexOf(`### \`${kpi.id}\``));
      expect(entry.indexOf(`defined in \`${file}\``), kpi.id).toBeGreaterThan(0);
      expect(entry, kpi.id).toMatch(/\n- numerator/);
    }
  });
});

describe('the Decision 766 entries of the KPI map', () => {
  const map = renderKpiMap(kpiSources());
  const layout = dossierCellLayout();
  const entryOf = (id: string) => {
    const start = map.indexOf(`### \`${id}\``);
    const end = map.indexOf('\n### ', start + 1);
    return map.slice(start, end < 0 ? undefined : end);
  };

  it('name, for each component counted from dossiers or the catalog, every cell counter it reads', () => {
    const counters = [...INDEX766_COUNTERS, ...PROCEDURE_COUNTERS];
    const named = (c: (typeof counters)[number]) => c.key.replace(/^(index766|procedure):/, '');
    let mapped = 0;
    for (const component of COMPONENTS.filter((c) => c.source !== 'external')) {
      const counts = COUNTS[component.id];
      expect(counts, component.id).toBeDefined();
      const entry = entryOf(component.id);
      expect(entry, component.id).toContain(`- numerator: \`${counts?.n}\``);
      expect(entry, component.id).toContain(`- denominator: \`${counts?.d}\``);
      const terms = [counts?.n, counts?.d, counts?.scoredN, counts?.scoredD].join(' ');
      for (const counter of counters) {
        if (!new RegExp(`\\b${named(counter)}\\b`).test(terms)) continue;
        expect(entry, component.id).toContain(
          `- \`${named(counter)}\`: column \`${layout.at(counter.key)}\` of the cells (\`${counter.key}\`) = \`${counter.aggregate}\``,
        );
        mapped++;
      }
    }
    // Spot checks against the statements: 2 (progress) reads population_on_time / population,
    // 4C the per-procedure paid_online counter through paid_procs.
    expect(entryOf('index766.progress')).toContain(
      `- \`population_on_time\`: column \`${layout.at('index766:population_on_time')}\` of the cells`,
    );
    expect(entryOf('index766.online_payment.procedures_paid')).toContain(
      '- `paid_procs`, per unit and procedure = `groupUniqArrayIf(procedure_code, paid_online > 0)`',
    );
    expect(entryOf('index766.online_payment.procedures_paid')).toContain(
      `- \`paid_online\`: column \`${layout.at('procedure:paid_online')}\` of the cells`,
    );
    expect(mapped).toBeGreaterThanOrEqual(15);
  });

  it('say where an external component, a group and the total come from', () => {
    expect(entryOf('index766.transparency.published_on_time')).toContain(
      'the published figure `index766.transparency.published_on_time` as loaded',
    );
    expect(entryOf('index766.transparency')).toContain("the sum of its components' scores, in hundredths");
    expect(entryOf('index766.total')).toContain("the sum of the six groups' scores, in hundredths");
  });
});

describe('definitionsIn', () => {
  it('finds what a name is selected as, past nested parentheses, without the uniform casts', () => {
    const sql = `SELECT a, toInt64(sum(if(x > 0, 1, 0))) AS n,
      CAST(if(f(y), [p], []) AS Array(String)) AS s FROM t UNION ALL SELECT greatest(n, 1) AS m, 0 AS n`;
    expect(definitionsIn(sql, 'n')).toEqual(['sum(if(x > 0, 1, 0))', '0']);
    expect(definitionsIn(sql, 's')).toEqual(['if(f(y), [p], [])']);
    expect(definitionsIn(sql, 'm')).toEqual(['greatest(n, 1)']);
    expect(definitionsIn(sql, 'none')).toEqual([]);
  });
});

describe('withKpiMap', () => {
  const section = `${KPI_MAP_START}\nnew\n${KPI_MAP_END}`;

  it('replaces the generated section and keeps what surrounds it', () => {
    const readme = `# kpi\n\nintro\n\n${KPI_MAP_START}\nold\n${KPI_MAP_END}\n\n## after\n`;
    expect(withKpiMap(readme, section)).toBe(`# kpi\n\nintro\n\n${section}\n\n## after\n`);
  });

  it('appends the section to a README that has none', () => {
    expect(withKpiMap('# kpi\n', section)).toBe(`# kpi\n\n${section}\n`);
  });
});

describe('definingFile', () => {
  it('prefers the KPI file over other files that mention the id', () => {
    const files = new Map([
      ['a/catalog.ts', "const x = { id: 'on_time_rate' };"],
      ['a/kpis/on-time-rate.kpi.ts', "defineKpi({ id: 'on_time_rate', name })"],
      ['a/kpis/other.kpi.ts', "defineKpi({ id: 'on_time_rate_2' })"],
    ]);
    expect(definingFile('on_time_rate', files)).toBe('a/kpis/on-time-rate.kpi.ts');
    expect(definingFile('index766.total', files)).toBeUndefined();
  });
});
