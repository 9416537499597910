/**
 * A source file longer than MAX_LINES is hard to take in at once, so it either splits by concern or says
 * why it is long: a comment line starting with `Long file:` and a reason, near its top.
 */
export const MAX_LINES = 400;

/** Files of these kinds are code a reader has to follow; data, prose and lock files are not counted. */
export const SOURCE_EXTENSIONS = [
  '.ts',
  '.tsx',
  '.js',
  '.mjs',
  '.cjs',
  '.sql',
  '.sh',
  '.css',
  '.html',
  '.java',
];

/** Where the reason must stand: a reader sees it before scrolling. */
export const REASON_WITHIN_LINES = 30;

// A comment in any of the languages above: //, /* … */ or its * continuation lines, -- (SQL), # (shell)
// and <!-- (HTML); the reason must be a phrase, not a placeholder.
const REASON = /^\s*(?:\/\/|\/\*+|\*|--|#|<!--)\s*Long file:\s*(\S.{18,})/i;

export interface LongFile {
  path: string;
  lines: number;
}

export function isSource(path: string): boolean {
  return SOURCE_EXTENSIONS.some((ext) => path.endsWith(ext));
}

export function lineCount(text: string): number {
  if (text === '') return 0;
  const lines = text.split('\n').length;
  return text.endsWith('\n') ? lines - 1 : lines;
}

/** The reason a long file gives for its length, or undefined when it gives none. */
export function lengthReason(text: string): string | undefined {
  for (const line of text.split('\n').slice(0, REASON_WITHIN_LINES)) {
    const match = REASON.exec(line);
    if (match) return match[1]?.trim();
  }
  return undefined;
}

/** The files over MAX_LINES that do not say why; `files` maps a path to its text. */
export function unexplainedLongFiles(files: Iterable<[path: string, text: string]>): LongFile[] {
  const found: LongFile[] = [];
  for (const [path, text] of files) {
    if (!isSource(path)) continue;
    const lines = lineCount(text);
    if (lines > MAX_LINES && lengthReason(text) === undefined) found.push({ path, lines });
  }
  return found.sort((a, b) => b.lines - a.lines || a.path.localeCompare(b.path));
}
