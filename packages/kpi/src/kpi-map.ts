import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KPI_CATALOG } from './catalog.ts';
import { dossierCellLayout } from './cell-layout.ts';
import type { KpiDefinition } from './kpi-definition.ts';
import { INDEX766_MAP_INTRO, index766Lines } from './kpi-map-index766.ts';

/**
 * "Where is KPI X computed" in one place: the section of packages/kpi/README.md between these markers is
 * rendered from the catalog and the cell layout by `npm run kpi:map`, and a unit test fails when it is stale.
 */
export const KPI_MAP_START =
  '<!-- kpi-map: generated from the KPI catalog by `npm run kpi:map`; edit the catalog, not this -->';
export const KPI_MAP_END = '<!-- /kpi-map -->';
export const KPI_MAP_COMMAND = 'npm run kpi:map';

/** This package's folder, and its README that holds the map. */
export const KPI_PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
export const KPI_README = join(KPI_PACKAGE_DIR, 'README.md');

/** The package's sources by path from the repository root, where the map looks up each KPI's file. */
export function kpiSources(): Map<string, string> {
  const root = join(KPI_PACKAGE_DIR, '../..');
  const src = join(KPI_PACKAGE_DIR, 'src');
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .sort();
  return new Map(files.map((f) => [relative(root, join(src, f)), readFileSync(join(src, f), 'utf8')]));
}

/**
 * Finds the source file that defines a KPI id (`files` maps paths from the repository root to text): a
 * `*.kpi.ts` file with `id: '<id>'` first, then any file with that `id:`, then any file naming the id in
 * quotes (ids built from a table, such as the Decision 766 components and groups).
 */
export function definingFile(id: string, files: ReadonlyMap<string, string>): string | undefined {
  const quoted = `(['"\`])${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\1`;
  const asId = new RegExp(`\\bid:\\s*${quoted}`);
  const anywhere = new RegExp(quoted);
  const paths = [...files.keys()];
  const having = (re: RegExp) => paths.filter((path) => re.test(files.get(path) ?? ''));
  const defining = having(asId);
  return defining.find((path) => path.endsWith('.kpi.ts')) ?? defining[0] ?? having(anywhere)[0];
}

/** The fields the map reads, loosely: KPIs computed by their own statements have no aggregates. */
interface MappedKpi {
  sql?: { numerator: string; denominator: string; score?: string };
  points?: { max: number; fullAt: number };
}

const oneLine = (sql: string) => sql.replace(/\s+/g, ' ').trim();
const code = (text: string) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);

function kpiEntry(
  kpi: KpiDefinition,
  files: ReadonlyMap<string, string>,
  counter: (key: string) => string,
): string {
  const file = definingFile(kpi.id, files);
  const { sql, points } = kpi as MappedKpi;
  const lines = [`### \`${kpi.id}\` — ${kpi.name.en}`, ''];
  lines.push(`- defined in ${file ? `\`${file}\`` : 'the catalog (`packages/kpi/src/catalog.ts`)'}`);
  lines.push(`- formula: ${kpi.formula.en}`);
  if (sql && kpi.source === 'dossier') {
    lines.push(
      `- numerator: column \`${counter(`${kpi.id}:n`)}\` of the cells = ${code(oneLine(sql.numerator))}`,
      `- denominator: column \`${counter(`${kpi.id}:d`)}\` of the cells = ${code(oneLine(sql.denominator))}`,
    );
  } else if (sql) {
    lines.push(
      `- numerator, over the catalog snapshot: ${code(oneLine(sql.numerator))}`,
      `- denominator, over the catalog snapshot: ${code(oneLine(sql.denominator))}`,
    );
  } else if (kpi.source === 'index766') {
    lines.push(...index766Lines(kpi.id));
  } else {
    // KPIs of another source are computed by the statements named after it (sql/<source>-*.sql.ts).
    const statements = [...files.keys()].filter((path) => path.includes(`/sql/${kpi.source}`));
    const where = statements.length > 0 ? statements.map((path) => `\`${path}\``).join(', ') : 'its source';
    lines.push(`- numerator and denominator: computed from the cells and the catalog by ${where}`);
  }
  if (sql?.score) lines.push(`- score: ${code(oneLine(sql.score))}`);
  else if (points)
    lines.push(`- score: ${points.max} × min(1, value / ${points.fullAt}) (max ${points.max})`);
  return lines.join('\n');
}

/** The generated section, markers included. */
export function renderKpiMap(
  files: ReadonlyMap<string, string>,
  catalog: readonly KpiDefinition[] = KPI_CATALOG,
): string {
  const layout = dossierCellLayout();
  const counter = (key: string) => layout.at(key);
  const bySource = (source: KpiDefinition['source']) => catalog.filter((k) => k.source === source);
  return [
    KPI_MAP_START,
    '',
    '## Where each KPI is computed',
    '',
    '**Dossier KPIs** are counted from one row per dossier: `kpi_dossier_facts_v1`, built from the',
    '`dossiers_v1` view by `BUILD_FACTS_SQL` (`packages/kpi/src/sql/facts.sql.ts`). `participationSql`',
    '(`packages/kpi/src/sql/cells.sql.ts`) turns each into one row per period it takes part in, with the',
    'flags the numerators and denominators below read (`in_received`, `in_finished`, `resolved`,',
    "`on_time`, …). `cellsSql` sums each KPI's two aggregates into its counter columns of `kpi_cells_v1`",
    '(settled dossiers, per period × admin level × agency × field × procedure; the same columns in',
    "`kpi_scope_cells_v1`, summed per scope); `liveCellsSql` counts the open dossiers at the run's instant",
    'into `kpi_stage_cells_v1`; `dossierValuesSql` adds both up per scope.',
    '',
    "**Catalog KPIs** are counted over the procedure catalog as it stood at each period's end, by",
    '`procedureKpisSql` (`packages/kpi/src/sql/procedure-kpis.sql.ts`).',
    '',
    INDEX766_MAP_INTRO,
    '',
    'All are written by `writeChangedValuesSql` (`packages/kpi/src/sql/write-values.sql.ts`) to',
    '`kpi_values_v1`, which feeds `kpi_current_v1` and the view `kpi_latest`.',
    '',
    ...[
      ...bySource('dossier'),
      ...bySource('procedure'),
      ...catalog.filter((k) => k.source !== 'dossier' && k.source !== 'procedure'),
    ].flatMap((kpi) => [kpiEntry(kpi, files, counter), '']),
    KPI_MAP_END,
  ].join('\n');
}

/** The README with its generated section replaced (or appended when it has none yet). */
export function withKpiMap(readme: string, section: string): string {
  const start = readme.indexOf(KPI_MAP_START);
  const end = readme.indexOf(KPI_MAP_END);
  if (start < 0 || end < start) return `${readme.trimEnd()}\n\n${section}\n`;
  return `${readme.slice(0, start)}${section}${readme.slice(end + KPI_MAP_END.length)}`;
}
