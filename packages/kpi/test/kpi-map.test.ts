import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KPI_CATALOG } from '../src/catalog.ts';
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
