import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Index766CsvError,
  Index766ExternalRowSchema,
  index766ExternalKey,
  normalizeMessage,
  parseIndex766CsvLine,
  splitCsvLine,
  splitIndex766Csv,
} from '../src/index.ts';
import { message, NOW, OPTIONS, TOPICS } from './fixtures.ts';

const HEADER = 'scope_kind,scope_code,period_kind,period_start,figure,dossier_code,numerator,denominator';
const TOPIC = 'dossier.index766-external.v1';
const WITH_TOPIC = { ...OPTIONS, topics: { ...TOPICS, index766External: TOPIC } };

function line(text: string, n = 2) {
  return parseIndex766CsvLine(HEADER, { line: n, text });
}

function reason(text: string): string {
  const r = line(text, 7);
  if (r.ok) throw new Error(`accepted ${text}`);
  return r.reason;
}

describe('external figures CSV', () => {
  it('reads the header and the data lines with their file line numbers', () => {
    const csv = splitIndex766Csv(
      `\ufeff# published 2026-12-03\r\n${HEADER}\r\n\r\ncity,,month,2026-11-01,index766.transparency.full_content,,10,12\r\n`,
    );
    expect(csv.header).toBe(HEADER);
    expect(csv.lines).toEqual([
      { line: 4, text: 'city,,month,2026-11-01,index766.transparency.full_content,,10,12' },
    ]);
  });

  it('refuses a file whose header misses, misspells or repeats a column', () => {
    expect(() => splitIndex766Csv('')).toThrow(Index766CsvError);
    expect(() =>
      splitIndex766Csv('scope_kind,scope_code,period_kind,period_start,figure,numerator\n'),
    ).toThrow(/missing column\(s\) denominator/);
    expect(() => splitIndex766Csv(`${HEADER},numerater\n`)).toThrow(/unknown column\(s\) numerater/);
    expect(() => splitIndex766Csv(`${HEADER},numerator\n`)).toThrow(/named twice: numerator/);
  });

  it('splits quoted cells', () => {
    expect(splitCsvLine('a,"b,c","d ""e""",')).toEqual(['a', 'b,c', 'd "e"', '']);
    expect(splitCsvLine('a,"b')).toBeUndefined();
  });

  it('parses figures of the city, of agencies, of the reporting system and petitioned dossiers', () => {
    expect(line('city,,quarter,2026-10-01,index766.satisfaction.petitions_on_time,,0,0')).toEqual({
      ok: true,
      row: {
        scope_kind: 'city',
        scope_code: '',
        period_kind: 'quarter',
        period_start: '2026-10-01',
        figure: 'index766.satisfaction.petitions_on_time',
        dossier_code: '',
        numerator: 0,
        denominator: 0,
      },
    });
    const agency = line('agency, h29.105 ,month,2026-11-01,national_reporting.received,,1532,0');
    expect(agency.ok && agency.row.scope_code).toBe('H29.105');
    const petition = line('agency,H29.105,year,2026-01-01,petitions.dossier,h29.105-261104-0012,1,0');
    expect(petition.ok && petition.row.dossier_code).toBe('H29.105-261104-0012');
    expect(petition.ok && index766ExternalKey(petition.row)).toBe(
      'agency|H29.105|year|2026-01-01|petitions.dossier|H29.105-261104-0012',
    );
  });

  it('rejects a line naming its number and the field', () => {
    expect(reason('town,,month,2026-11-01,index766.transparency.full_content,,1,2')).toMatch(
      /^line 7: scope_kind: /,
    );
    expect(reason('city,,month,2026-11-02,index766.transparency.full_content,,1,2')).toBe(
      'line 7: period_start: expected the first day of a month',
    );
    expect(reason('city,,quarter,2026-11-01,index766.transparency.full_content,,1,2')).toMatch(
      /period_start: expected the first day of a quarter/,
    );
    expect(reason('city,,year,2026-07-01,index766.transparency.full_content,,1,2')).toMatch(
      /period_start: expected the first day of a year/,
    );
    expect(reason('city,,month,2026-02-30,index766.transparency.full_content,,1,2')).toMatch(/period_start/);
    expect(reason('city,,month,2026-11-01,index766.progress,,1,2')).toMatch(
      /^line 7: figure: expected one of/,
    );
    expect(reason('city,,month,2026-11-01,index766.transparency.full_content,,3,2')).toBe(
      'line 7: numerator: expected at most the denominator (2)',
    );
    expect(reason('city,,month,2026-11-01,index766.transparency.full_content,,-1,2')).toMatch(/numerator/);
    expect(reason('city,,month,2026-11-01,index766.transparency.full_content,,1.5,2')).toMatch(/numerator/);
    expect(reason('city,H29,month,2026-11-01,index766.transparency.full_content,,1,2')).toMatch(
      /scope_code: expected it empty for the city/,
    );
    expect(reason('agency,,month,2026-11-01,index766.transparency.full_content,,1,2')).toMatch(/scope_code/);
    expect(reason('agency,H29.105,month,2026-11-01,national_reporting.received,,10,12')).toMatch(
      /denominator: expected 0/,
    );
    expect(reason('agency,H29.105,month,2026-11-01,petitions.dossier,,1,0')).toMatch(/dossier_code/);
    expect(reason('agency,H29.105,month,2026-11-01,petitions.dossier,H29.105-261104-0012,2,0')).toMatch(
      /numerator: expected 1 \(petitioned\) or 0/,
    );
    expect(reason('agency,H29.105,month,2026-11-01,index766.transparency.full_content,X-1,1,2')).toMatch(
      /dossier_code: expected it empty/,
    );
    expect(reason('city,,month,2026-11-01,index766.transparency.full_content,,1')).toBe(
      'line 7: 7 cells; expected 8 as in the header',
    );
  });
});

describe('external figures on the topic', () => {
  const value = (over: Record<string, unknown> = {}) => ({
    load_id: 'load-1',
    source: 'DVCQG evaluation API, published 2025-06-03',
    loaded_at: '2025-06-29T10:00:00Z',
    header: HEADER,
    line: 3,
    text: 'agency,H29.105,month,2025-05-01,index766.transparency.published_on_time,,3,4',
    ...over,
  });

  it('is not an input unless its topic is configured', () => {
    const result = normalizeMessage(message(TOPIC, value()), OPTIONS);
    expect(!result.ok && result.rejection.code).toBe('unknown_topic');
  });

  it('becomes one row with source, load time, line and a stable event id', () => {
    const result = normalizeMessage(message(TOPIC, value()), WITH_TOPIC);
    if (!result.ok || result.output.table !== 'index766_external_v1') throw new Error(JSON.stringify(result));
    const [row] = result.output.rows;
    expect(Index766ExternalRowSchema.parse(row)).toMatchObject({
      scope_code: 'H29.105',
      numerator: 3,
      denominator: 4,
      source: 'DVCQG evaluation API, published 2025-06-03',
      loaded_at: '2025-06-29 10:00:00.000',
      csv_line: 3,
    });
    const again = normalizeMessage(message(TOPIC, value()), WITH_TOPIC);
    expect(again.ok && again.output.rows[0]).toEqual(row);
  });

  it('dead-letters a bad line with its number and reason, a wrong key, a future load time', () => {
    const bad = normalizeMessage(
      message(TOPIC, value({ text: 'city,,month,2025-05-01,x,,1,2' })),
      WITH_TOPIC,
    );
    expect(bad.ok || bad.rejection).toMatchObject({
      code: 'schema',
      reason: expect.stringMatching(/^line 3: figure/),
    });
    const keyed = { ...message(TOPIC, value()), key: Buffer.from('city||month|2025-05-01|x|') };
    const wrongKey = normalizeMessage(keyed, WITH_TOPIC);
    expect(!wrongKey.ok && wrongKey.rejection.code).toBe('key_mismatch');
    const future = new Date(NOW.getTime() + 3_600_000).toISOString();
    const late = normalizeMessage(message(TOPIC, value({ loaded_at: future })), WITH_TOPIC);
    expect(!late.ok && late.rejection.code).toBe('future_time');
    const notJson = normalizeMessage(message(TOPIC, null, Buffer.from('{')), WITH_TOPIC);
    expect(!notJson.ok && notJson.rejection.code).toBe('invalid_json');
    const noSource = normalizeMessage(message(TOPIC, value({ source: '' })), WITH_TOPIC);
    expect(!noSource.ok && noSource.rejection.reason).toMatch(/^message: source/);
  });
});

describe('docs/examples/index766/external-figures.csv', () => {
  it('loads every line', () => {
    const path = join(
      import.meta.dirname,
      '..',
      '..',
      '..',
      'docs',
      'examples',
      'index766',
      'external-figures.csv',
    );
    const csv = splitIndex766Csv(readFileSync(path, 'utf8'));
    expect(csv.lines.length).toBeGreaterThan(0);
    for (const l of csv.lines) expect(parseIndex766CsvLine(csv.header, l)).toMatchObject({ ok: true });
  });
});
