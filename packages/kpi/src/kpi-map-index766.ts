import { dossierCellLayout } from './cell-layout.ts';
import { COMPONENTS, type Component, GROUPS, groupById, TOTAL_KPI } from './index766/components.ts';
import { INDEX766_COUNTERS, PROCEDURE_COUNTERS } from './sql/counters.sql.ts';
import {
  catalogSource,
  countsSource,
  dossierSource,
  externalSource,
  INDEX766_SETS,
  INDEX766_SUMS,
} from './sql/index766-sources.sql.ts';
import {
  COUNTS,
  INDEX766_PERIOD_KINDS,
  INDEX766_PURPOSES,
  index766ValuesSql,
} from './sql/index766-values.sql.ts';

/**
 * The Decision 766 part of the KPI map: for each component, the terms its numerator and denominator are
 * made of (index766-values.sql.ts's COUNTS), each down to the cell counters it sums, with the SQL that
 * defines it read from the statements the engine runs, so the map cannot drift from them.
 */

export const INDEX766_MAP_INTRO = [
  '**Decision 766 components** are computed per period (month, quarter, year) and scope (the city, each',
  'unit with its sub-units) by `index766ValuesSql` (`packages/kpi/src/sql/index766-values.sql.ts`) from',
  'the terms `index766ScopeInputsSql` (`packages/kpi/src/sql/index766-sources.sql.ts`) sums per scope out',
  "of four sources: the cells' Decision 766 counters (`kpi_scope_cells_v1`, counted by the aggregates of",
  '`packages/kpi/src/sql/counters.sql.ts`), the same per unit and procedure (`kpi_scope_procedures_v1`),',
  "the procedure catalog as it stood at the period's end, and the figures loaded by `npm run index766:load`",
  '(`index766_external_latest_v1`). Scores follow `packages/kpi/src/index766/score.sql.ts`.',
].join('\n');

const code = (text: string) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);
const oneLine = (sql: string) => sql.replace(/\s+/g, ' ').trim();

/** The expression `name` is selected as (`… AS name`) in `sql`, each occurrence, outer wrappers removed. */
export function definitionsIn(sql: string, name: string): string[] {
  const text = oneLine(sql);
  const found: string[] = [];
  for (const match of text.matchAll(new RegExp(`\\sAS ${name}\\b`, 'g'))) {
    let depth = 0;
    let start = match.index;
    while (start > 0) {
      const ch = text[start - 1];
      if (ch === ')') depth++;
      else if (ch === '(' && depth-- === 0) break;
      else if (ch === ',' && depth === 0) break;
      else if (depth === 0 && text.startsWith('SELECT ', start - 7)) break;
      start--;
    }
    found.push(unwrap(text.slice(start, match.index).trim()));
  }
  return found;
}

/** `toInt64(x)` and `CAST(x AS Array(…))`, the sources' uniform column types, as `x`. */
function unwrap(expression: string): string {
  const cast = /^CAST\((.*) AS Array\([\w(), ]*\)\)$/.exec(expression);
  if (cast?.[1]) return cast[1];
  const int = /^toInt64\((.*)\)$/.exec(expression);
  return int?.[1] ?? expression;
}

const EMPTY = new Set(['0', '[]']);

/** Whether `definition` passes a column of the same name on as it is (`c.procs AS procs`). */
const passedOn = (definition: string, name: string) => new RegExp(`^(\\w+\\.)?${name}$`).test(definition);

interface Source {
  where: string;
  sql: string;
}

function sources(): Source[] {
  const layout = dossierCellLayout();
  const periods = '{periods}';
  return [
    { where: 'per unit and procedure', sql: dossierSource(layout, periods) },
    {
      where: "over the catalog as it stood at the period's end",
      sql: catalogSource(INDEX766_PERIOD_KINDS, INDEX766_PURPOSES),
    },
    { where: 'over the loaded figures', sql: externalSource(periods) },
    { where: 'per scope', sql: countsSource(layout, periods) },
  ];
}

/** Terms a COUNTS expression may name, and the counters (by cells' counter name) the sources sum. */
const CELL_COUNTERS = new Map(INDEX766_COUNTERS.map((c) => [c.key.replace('index766:', ''), c]));
const PROCEDURE_COLUMNS = new Map(PROCEDURE_COUNTERS.map((c) => [c.column, c]));
const NESTED_TERMS = new Set<string>([
  ...INDEX766_SUMS,
  ...INDEX766_SETS,
  'figures',
  ...PROCEDURE_COLUMNS.keys(),
]);

/** Identifiers of an expression that are not functions, quoted strings or lambda arguments. */
function identifiers(expression: string): string[] {
  const bare = expression.replace(/'[^']*'/g, "''");
  const names = [...bare.matchAll(/\b([a-z_][a-z0-9_]*)\b(?!\s*\()/g)].map((m) => m[1] ?? '');
  return names.filter((n) => n.length > 1);
}

/** One line per term, each down to the cell counters it reads, in the order they are first named. */
function termLines(expressions: string[], valuesSql: string, all: Source[]): string[] {
  const layout = dossierCellLayout();
  const lines: string[] = [];
  const seen = new Set<string>();
  const visit = (expression: string, nested: boolean) => {
    for (const name of identifiers(expression)) {
      if (seen.has(name) || (nested && !NESTED_TERMS.has(name))) continue;
      const counter = CELL_COUNTERS.get(name);
      const perProcedure = PROCEDURE_COLUMNS.get(name);
      if (counter ?? perProcedure) {
        seen.add(name);
        const c = (counter ?? perProcedure)!;
        lines.push(
          `- \`${name}\`: column \`${layout.at(c.key)}\` of the cells (\`${c.key}\`) = ${code(oneLine(c.aggregate))}`,
        );
        continue;
      }
      const defined = all.flatMap((s) =>
        [...new Set(definitionsIn(s.sql, name))]
          .filter((d) => !EMPTY.has(d) && !passedOn(d, name))
          .map((d) => ({ where: s.where, d })),
      );
      const found =
        defined.length > 0 ? defined : definitionsIn(valuesSql, name).map((d) => ({ where: '', d }));
      if (found.length === 0) {
        if (nested) continue;
        throw new Error(`KPI map: no definition of ${name} in the Decision 766 statements`);
      }
      seen.add(name);
      for (const { where, d } of found) {
        lines.push(`- \`${name}\`${where ? `, ${where}` : ''} = ${code(d)}`);
        visit(d, true);
      }
    }
  };
  for (const expression of expressions) visit(expression, false);
  return lines;
}

function scoreLine(c: Component): string {
  const { numerator, denominator } = c.fullAt;
  const full =
    numerator === denominator ? 'linear in the ratio' : `full at ${(100 * numerator) / denominator}%`;
  return `- score: up to ${c.points} points, ${full}; a zero denominator scores ${c.zeroDenominator} (rounding: ${groupById(c.group).rounding})`;
}

/** The map's lines for a Decision 766 KPI id: a component, a group or the total. */
export function index766Lines(id: string): string[] {
  const component = COMPONENTS.find((c) => c.id === id);
  if (!component) {
    const group = GROUPS.find((g) => g.kpi === id);
    if (!group && id !== TOTAL_KPI)
      throw new Error(`KPI map: ${id} is no Decision 766 component, group or total`);
    const of = group ? 'its components' : 'the six groups';
    return [
      `- numerator: the sum of ${of}' scores, in hundredths; denominator: the points of ${of} that have data, in hundredths (\`index766ValuesSql\`)`,
    ];
  }
  if (component.source === 'external') {
    return [
      `- numerator and denominator: the published figure \`${id}\` as loaded (\`npm run index766:load\` into \`index766_external_v1\`, read from \`index766_external_latest_v1\`)`,
      scoreLine(component),
    ];
  }
  const counts = COUNTS[id];
  if (!counts) throw new Error(`KPI map: no counts for Decision 766 component ${id}`);
  const lines = [`- numerator: ${code(counts.n)}`, `- denominator: ${code(counts.d)}`];
  if (counts.scoredN || counts.scoredD) {
    lines.push(`- scored on: ${code(counts.scoredN ?? counts.n)} / ${code(counts.scoredD ?? counts.d)}`);
  }
  const valuesSql = index766ValuesSql(INDEX766_PERIOD_KINDS, dossierCellLayout());
  const terms = [counts.n, counts.d, counts.scoredN ?? '', counts.scoredD ?? ''];
  return [...lines, ...termLines(terms, valuesSql, sources()), scoreLine(component)];
}
