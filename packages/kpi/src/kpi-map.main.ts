// `npm run kpi:map`: writes the KPI map (every KPI's counters and the SQL filling them) into
// packages/kpi/README.md from the catalog. packages/kpi/test/kpi-map.test.ts fails while it is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { KPI_README, kpiSources, renderKpiMap, withKpiMap } from './kpi-map.ts';

const readme = readFileSync(KPI_README, 'utf8');
const next = withKpiMap(readme, renderKpiMap(kpiSources()));
if (next === readme) console.log('packages/kpi/README.md: the KPI map is up to date');
else {
  writeFileSync(KPI_README, next);
  console.log('packages/kpi/README.md: KPI map written');
}
