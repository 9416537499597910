import { randomBytes } from 'node:crypto';
import {
  Index766CsvError,
  type Index766ExternalFigureRow,
  type Index766ExternalMessage,
  index766ExternalKey,
  parseIndex766CsvLine,
  splitIndex766Csv,
} from '@dossier/schemas';
import type { Message } from 'kafkajs';

/** What a figure is now (index766_external_latest_v1), to leave out what a load would not change. */
export interface EffectiveFigure {
  numerator: number;
  denominator: number;
  source: string;
}

export interface RejectedLine {
  line: number;
  reason: string;
}

export interface LoadPlan {
  loadId: string;
  loadedAt: string;
  /** One message per line to send: the changed figures (keyed) and the rejected lines (unkeyed, dead-lettered). */
  messages: Message[];
  /** Valid lines whose figure differs from the effective one: the rows this load will store. */
  changed: number;
  /** Valid lines equal to the effective figure: nothing to store. */
  unchanged: number;
  rejected: RejectedLine[];
  lines: number;
}

/** The file cannot be loaded at all (header, a figure given twice); the message says why. */
export class LoadRefused extends Error {
  override name = 'LoadRefused';
}

export interface ParsedLoad {
  header: string;
  valid: { line: number; text: string; row: Index766ExternalFigureRow; key: string }[];
  rejected: (RejectedLine & { text: string })[];
}

/** Parses and validates every line; a figure on two lines makes the file ambiguous, so it is refused. */
export function parseLoad(csv: string): ParsedLoad {
  let split: ReturnType<typeof splitIndex766Csv>;
  try {
    split = splitIndex766Csv(csv);
  } catch (err) {
    if (err instanceof Index766CsvError) throw new LoadRefused(err.message);
    throw err;
  }
  const parsed: ParsedLoad = { header: split.header, valid: [], rejected: [] };
  const firstLine = new Map<string, number>();
  const repeated: string[] = [];
  for (const line of split.lines) {
    const result = parseIndex766CsvLine(split.header, line);
    if (!result.ok) {
      parsed.rejected.push({ line: line.line, reason: result.reason, text: line.text });
      continue;
    }
    const key = index766ExternalKey(result.row);
    const first = firstLine.get(key);
    if (first !== undefined) repeated.push(`line ${line.line} repeats the figure of line ${first}`);
    else firstLine.set(key, line.line);
    parsed.valid.push({ ...line, row: result.row, key });
  }
  if (repeated.length > 0)
    throw new LoadRefused(
      `${repeated.slice(0, 20).join('; ')}${repeated.length > 20 ? ` (and ${repeated.length - 20} more)` : ''}: give each figure once per file`,
    );
  return parsed;
}

/**
 * The messages of one load. Figures equal to their effective value are left out, so loading the same file
 * again sends nothing; rejected lines are sent unkeyed so the ingestor dead-letters them with their reason.
 */
export function planLoad(
  parsed: ParsedLoad,
  source: string,
  effective: ReadonlyMap<string, EffectiveFigure>,
  now: Date,
): LoadPlan {
  const loadedAt = now.toISOString();
  const loadId = `${loadedAt.replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`;
  const message = (line: number, text: string, key: string | null): Message & { line: number } => {
    const value: Index766ExternalMessage = {
      load_id: loadId,
      source,
      loaded_at: loadedAt,
      header: parsed.header,
      line,
      text,
    };
    return { key, value: JSON.stringify(value), line };
  };
  const out: (Message & { line: number })[] = [];
  let unchanged = 0;
  for (const v of parsed.valid) {
    const now = effective.get(v.key);
    if (
      now &&
      now.numerator === v.row.numerator &&
      now.denominator === v.row.denominator &&
      now.source === source
    )
      unchanged++;
    else out.push(message(v.line, v.text, v.key));
  }
  const changed = out.length;
  for (const r of parsed.rejected) out.push(message(r.line, r.text, null));
  out.sort((a, b) => a.line - b.line);
  return {
    loadId,
    loadedAt,
    messages: out.map(({ line: _line, ...m }) => m),
    changed,
    unchanged,
    rejected: parsed.rejected.map(({ line, reason }) => ({ line, reason })),
    lines: parsed.valid.length + parsed.rejected.length,
  };
}
