/**
 * chDB streams a result as chunks that are each a complete document of the output format. Row
 * formats concatenate as they are; formats with a header repeat it in every chunk, so all but the
 * first copy is cut; document formats (JSON, Pretty, Parquet, …) cannot be streamed this way.
 */
const PLAIN = new Set(
  [
    'TabSeparated',
    'TSV',
    'TabSeparatedRaw',
    'TSVRaw',
    'Raw',
    'CSV',
    'JSONEachRow',
    'NDJSON',
    'JSONLines',
    'JSONCompactEachRow',
    'JSONStringsEachRow',
    'JSONCompactStringsEachRow',
    'RowBinary',
    'Native',
    'TSKV',
    'LineAsString',
    'RawBLOB',
    'Null',
  ].map((f) => f.toLowerCase()),
);

type HeaderKind = { lines: 1 | 2; quoted: boolean } | { binary: 'names' | 'namesAndTypes' };

const WITH_HEADER = new Map<string, HeaderKind>(
  [
    ...[
      'TabSeparatedWithNames',
      'TSVWithNames',
      'TabSeparatedRawWithNames',
      'TSVRawWithNames',
      'RawWithNames',
    ].map((f) => [f, { lines: 1, quoted: false }] as const),
    ...[
      'TabSeparatedWithNamesAndTypes',
      'TSVWithNamesAndTypes',
      'TabSeparatedRawWithNamesAndTypes',
      'TSVRawWithNamesAndTypes',
      'RawWithNamesAndTypes',
    ].map((f) => [f, { lines: 2, quoted: false }] as const),
    ...['JSONCompactEachRowWithNames', 'JSONCompactStringsEachRowWithNames'].map(
      (f) => [f, { lines: 1, quoted: true }] as const,
    ),
    ...['JSONCompactEachRowWithNamesAndTypes', 'JSONCompactStringsEachRowWithNamesAndTypes'].map(
      (f) => [f, { lines: 2, quoted: true }] as const,
    ),
    ['CSVWithNames', { lines: 1, quoted: true }],
    ['CSVWithNamesAndTypes', { lines: 2, quoted: true }],
    ['RowBinaryWithNames', { binary: 'names' }],
    ['RowBinaryWithNamesAndTypes', { binary: 'namesAndTypes' }],
  ].map(([name, kind]) => [String(name).toLowerCase(), kind as HeaderKind]),
);

export function isStreamable(format: string): boolean {
  const f = format.toLowerCase();
  return PLAIN.has(f) || WITH_HEADER.has(f);
}

function varint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (let i = at; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, i + 1];
    shift += 7;
  }
  throw new Error('truncated varint in a RowBinary header');
}

/** Length of the header a chunk of `format` starts with (0 for formats without one). */
export function headerLength(format: string, chunk: Uint8Array): number {
  const kind = WITH_HEADER.get(format.toLowerCase());
  if (!kind) return 0;
  if ('binary' in kind) {
    const [columns, start] = varint(chunk, 0);
    let at = start;
    const strings = kind.binary === 'names' ? columns : columns * 2;
    for (let i = 0; i < strings; i++) {
      const [length, next] = varint(chunk, at);
      at = next + length;
    }
    return at;
  }
  let lines = 0;
  let quoted = false;
  for (let i = 0; i < chunk.length; i++) {
    const c = chunk[i];
    if (kind.quoted && c === 0x22) quoted = !quoted;
    else if (c === 0x0a && !quoted && ++lines === kind.lines) return i + 1;
  }
  return chunk.length;
}
