import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AgencyCode, DossierCode, IsoDateSchema } from './common.ts';
import type { NormalizeContext } from './dossier-row.ts';
import { reject, rejectionFromZod } from './rejection.ts';
import {
  INDEX766_EXTERNAL_FIGURES,
  type Index766ExternalRow,
  NATIONAL_REPORTING_RECEIVED,
  type NormalizedRows,
  PETITIONED_DOSSIER,
} from './rows.ts';
import { formatUtc, isRfc3339, parseRfc3339 } from './time.ts';

/**
 * Published figures of the Decision 766 index that no dossier carries (../shared/INDEX766.md), loaded by
 * an operator from a CSV: one CSV line per figure, sent as one message on the index766-external topic
 * (table index766_external_v1, migration 0140). The same functions validate the CSV in the loader, so the
 * operator sees each rejected line at once, and in the ingestor, which dead-letters it.
 */

export const INDEX766_EXTERNAL_COLUMNS = [
  'scope_kind',
  'scope_code',
  'period_kind',
  'period_start',
  'figure',
  'dossier_code',
  'numerator',
  'denominator',
] as const;
/** Columns a CSV must have; dossier_code may be left out when no line is a petitioned dossier. */
const REQUIRED_COLUMNS = INDEX766_EXTERNAL_COLUMNS.filter((c) => c !== 'dossier_code');

const count = z
  .string()
  .trim()
  .regex(/^\d{1,15}$/, { error: 'expected a whole number ≥ 0 (digits only, at most 15)' })
  .transform(Number);

function periodStartProblem(kind: string, date: string): string | undefined {
  const [, month, day] = date.split('-').map(Number);
  if (day !== 1) return `expected the first day of a ${kind}`;
  if (kind === 'quarter' && ![1, 4, 7, 10].includes(month ?? 0))
    return 'expected the first day of a quarter (01-01, 04-01, 07-01 or 10-01)';
  if (kind === 'year' && month !== 1) return 'expected the first day of a year (01-01)';
  return undefined;
}

/**
 * One CSV line's figure. Agencies are checked for form only, not against the catalog: published figures
 * may arrive before the catalog names a unit, and a figure for a unit no KPI scope has is simply unread.
 */
export const Index766ExternalFigureRow = z
  .object({
    scope_kind: z.enum(['city', 'agency']),
    scope_code: z.string().trim(),
    period_kind: z.enum(['month', 'quarter', 'year']),
    period_start: IsoDateSchema,
    figure: z.enum(INDEX766_EXTERNAL_FIGURES, {
      error: `expected one of ${INDEX766_EXTERNAL_FIGURES.join(', ')}`,
    }),
    dossier_code: z.string().trim().default(''),
    numerator: count,
    denominator: count,
  })
  .transform((row, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    let scopeCode = row.scope_code;
    if (row.scope_kind === 'city') {
      if (scopeCode !== '') issue('scope_code', 'expected it empty for the city');
    } else {
      const agency = AgencyCode.safeParse(scopeCode);
      if (agency.success) scopeCode = agency.data;
      else issue('scope_code', agency.error.issues[0]?.message ?? 'expected an agency code');
    }
    const startProblem = periodStartProblem(row.period_kind, row.period_start);
    if (startProblem) issue('period_start', startProblem);
    let dossierCode = row.dossier_code;
    if (row.figure === PETITIONED_DOSSIER) {
      const dossier = DossierCode.safeParse(dossierCode);
      if (dossier.success) dossierCode = dossier.data;
      else issue('dossier_code', dossier.error.issues[0]?.message ?? 'expected a dossier code');
      if (row.numerator > 1)
        issue('numerator', 'expected 1 (petitioned) or 0 (withdrawn) for petitions.dossier');
      if (row.denominator !== 0) issue('denominator', 'expected 0 for petitions.dossier');
    } else {
      if (dossierCode !== '')
        issue('dossier_code', `expected it empty unless figure is ${PETITIONED_DOSSIER}`);
      if (row.figure === NATIONAL_REPORTING_RECEIVED) {
        if (row.denominator !== 0) issue('denominator', `expected 0 for ${NATIONAL_REPORTING_RECEIVED}`);
      } else if (row.numerator > row.denominator) {
        issue('numerator', `expected at most the denominator (${row.denominator})`);
      }
    }
    return { ...row, scope_code: scopeCode, dossier_code: dossierCode };
  });
export type Index766ExternalFigureRow = z.output<typeof Index766ExternalFigureRow>;

/** Identity of a figure: (scope, period, figure, dossier); also the Kafka key of its message. */
export function index766ExternalKey(row: Index766ExternalFigureRow): string {
  return [
    row.scope_kind,
    row.scope_code,
    row.period_kind,
    row.period_start,
    row.figure,
    row.dossier_code,
  ].join('|');
}

/** A problem with the file as a whole (header, encoding): nothing of it can be loaded. */
export class Index766CsvError extends Error {
  override name = 'Index766CsvError';
}

/** Splits one CSV line (RFC 4180 quoting, comma separated). Undefined when a quote is left open. */
export function splitCsvLine(line: string): string[] | undefined {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  if (quoted) return undefined;
  cells.push(cell);
  return cells;
}

export interface Index766CsvLine {
  /** 1-based line number in the file (the header is line 1). */
  line: number;
  text: string;
}

export interface Index766Csv {
  header: string;
  lines: Index766CsvLine[];
}

/**
 * The header and data lines of a CSV (UTF-8, optional BOM, LF or CRLF; blank lines and lines starting
 * with `#` skipped). A line break inside a quoted cell is not accepted: each figure is one line.
 */
export function splitIndex766Csv(text: string): Index766Csv {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const all = body.split(/\r?\n/);
  const lines: Index766CsvLine[] = [];
  let header: string | undefined;
  all.forEach((raw, index) => {
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    if (header === undefined) header = raw;
    else lines.push({ line: index + 1, text: raw });
  });
  if (header === undefined) throw new Index766CsvError('the file has no header line');
  checkHeader(header);
  return { header, lines };
}

function checkHeader(header: string): string[] {
  const names = splitCsvLine(header)?.map((n) => n.trim().toLowerCase());
  if (!names) throw new Index766CsvError('header: a quote is left open');
  const known = new Set<string>(INDEX766_EXTERNAL_COLUMNS);
  const unknown = names.filter((n) => !known.has(n));
  const missing = REQUIRED_COLUMNS.filter((c) => !names.includes(c));
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  const problems = [
    unknown.length > 0 && `unknown column(s) ${unknown.join(', ')}`,
    missing.length > 0 && `missing column(s) ${missing.join(', ')}`,
    twice.length > 0 && `column(s) named twice: ${twice.join(', ')}`,
  ].filter(Boolean);
  if (problems.length > 0)
    throw new Index766CsvError(
      `header: ${problems.join('; ')}; expected the columns ${INDEX766_EXTERNAL_COLUMNS.join(',')}`,
    );
  return names;
}

/** Parses one data line under its header: the figure, or a rejection naming the line and the field. */
export function parseIndex766CsvLine(
  header: string,
  line: Index766CsvLine,
): { ok: true; row: Index766ExternalFigureRow } | { ok: false; reason: string } {
  let names: string[];
  try {
    names = checkHeader(header);
  } catch (err) {
    if (!(err instanceof Index766CsvError)) throw err;
    return { ok: false, reason: `line ${line.line}: ${err.message}` };
  }
  const cells = splitCsvLine(line.text);
  if (!cells) return { ok: false, reason: `line ${line.line}: a quote is left open` };
  if (cells.length !== names.length)
    return {
      ok: false,
      reason: `line ${line.line}: ${cells.length} cells; expected ${names.length} as in the header`,
    };
  const record = Object.fromEntries(names.map((n, i) => [n, cells[i] ?? '']));
  const parsed = Index766ExternalFigureRow.safeParse(record);
  if (parsed.success) return { ok: true, row: parsed.data };
  return { ok: false, reason: rejectionFromZod(parsed.error, `line ${line.line}`).reason };
}

/** The message the loader sends per CSV data line (JSON value; key: the figure's key, if the line parses). */
export const Index766ExternalMessage = z.object({
  load_id: z.string().trim().min(1).max(100),
  /** Where the figures were published; kept with every row. */
  source: z.string().trim().min(1).max(500),
  loaded_at: z.string().refine(isRfc3339, { error: 'expected an RFC 3339 timestamp with offset' }),
  header: z.string().max(1000),
  line: z.number().int().min(2).max(10_000_000),
  text: z.string().max(10_000),
});
export type Index766ExternalMessage = z.output<typeof Index766ExternalMessage>;

export function index766ExternalEventId(loadId: string, line: number): string {
  return createHash('sha256').update(`${loadId}\n${line}`).digest('hex').slice(0, 32);
}

/** The ingestor's side: one message → one row of index766_external_v1, or a rejection with the line. */
export function normalizeIndex766ExternalMessage(
  value: unknown,
  key: Buffer | null,
  ctx: NormalizeContext,
): NormalizedRows {
  const message = Index766ExternalMessage.safeParse(value);
  if (!message.success) throw rejectionFromZod(message.error, 'message');
  const m = message.data;
  const parsed = parseIndex766CsvLine(m.header, { line: m.line, text: m.text });
  if (!parsed.ok) return reject('schema', parsed.reason);
  const loadedMs = parseRfc3339(m.loaded_at) as number;
  if (loadedMs > ctx.nowMs + ctx.futureToleranceMs)
    reject('future_time', `loaded_at: ${formatUtc(loadedMs)} UTC is in the future`);
  const figureKey = index766ExternalKey(parsed.row);
  if (key !== null && key.length > 0 && key.toString('utf8') !== figureKey)
    reject(
      'key_mismatch',
      `key: is not the figure's key of line ${m.line}; expected ${figureKey}, or no key`,
    );
  const row: Index766ExternalRow = {
    ...parsed.row,
    source: m.source,
    loaded_at: formatUtc(loadedMs),
    load_id: m.load_id,
    csv_line: m.line,
    event_id: index766ExternalEventId(m.load_id, m.line),
  };
  return { table: 'index766_external_v1', rows: [row] };
}
