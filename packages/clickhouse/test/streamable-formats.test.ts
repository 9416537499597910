import { describe, expect, it } from 'vitest';
import { headerLength, isStreamable } from '../src/streamable-formats.ts';

describe('formats chDB can stream chunk by chunk', () => {
  it('streams row formats, not whole-document ones', () => {
    for (const f of ['TSV', 'JSONEachRow', 'RowBinaryWithNamesAndTypes', 'Native', 'CSVWithNames']) {
      expect(isStreamable(f), f).toBe(true);
    }
    for (const f of ['JSON', 'JSONCompact', 'PrettyCompact', 'Parquet', 'Values', 'XML']) {
      expect(isStreamable(f), f).toBe(false);
    }
  });

  it('measures the header each chunk repeats', () => {
    expect(headerLength('TSV', Buffer.from('1\n'))).toBe(0);
    expect(headerLength('TSVWithNamesAndTypes', Buffer.from('a\tb\nUInt8\tString\n1\tx\n'))).toBe(17);
    expect(headerLength('CSVWithNames', Buffer.from('"a\nb","c"\n1,2\n'))).toBe(10);
    // RowBinaryWithNamesAndTypes: 2 columns, names "n" and "s", types "UInt8" and "String", then a row.
    const rb = Buffer.from([
      2,
      1,
      0x6e,
      1,
      0x73,
      5,
      ...Buffer.from('UInt8'),
      6,
      ...Buffer.from('String'),
      7,
      1,
      0x78,
    ]);
    expect(headerLength('RowBinaryWithNamesAndTypes', rb)).toBe(rb.length - 3);
  });
});
