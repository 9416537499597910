import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import {
  CANONICAL_EVENTS,
  DOSSIER_KINDS,
  type DossierKind,
  DvcqgRecord,
  normalizeMessage,
  renderJsonSchemas,
} from '../src/index.ts';
import { message, TOPICS } from './fixtures.ts';

const docs = join(import.meta.dirname, '..', '..', '..', 'docs');
const examples = join(docs, 'examples');
const options = { topics: TOPICS, now: new Date('2026-01-01T00:00:00Z'), applicantHashKey: 'docs' };

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function files(dir: string): string[] {
  return readdirSync(join(examples, dir))
    .filter((f) => f.endsWith('.json'))
    .sort();
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
const published = (name: string) => ajv.compile(readJson(join(docs, 'schemas', name)) as object);

describe('docs/schemas', () => {
  it('is exactly what the generator writes (run `npm run schemas -w @dossier/schemas`)', () => {
    const expected = renderJsonSchemas();
    const onDisk = readdirSync(join(docs, 'schemas')).filter((f) => f.endsWith('.schema.json'));
    expect(onDisk.sort()).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected)
      expect(readFileSync(join(docs, 'schemas', name), 'utf8'), name).toBe(text);
  });
});

describe('docs/examples', () => {
  it('has one canonical example per kind and one DVCQG example per status', () => {
    expect(files('canonical')).toEqual(DOSSIER_KINDS.map((k) => `${k}.json`).sort());
    expect(files('dvcqg')).toEqual(
      Array.from({ length: 10 }, (_, i) => `status-${String(i + 1).padStart(2, '0')}.json`),
    );
  });

  it.each(files('canonical'))('canonical/%s validates and normalizes', (file) => {
    const value = readJson(join(examples, 'canonical', file));
    const kind = file.replace('.json', '') as DossierKind;
    expect(CANONICAL_EVENTS[kind].safeParse(value).success).toBe(true);
    const validate = published(`canonical-event.${kind}.schema.json`);
    expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
    expect(published('canonical-event.schema.json')(value)).toBe(true);
    const result = normalizeMessage(message(TOPICS.events, value), options);
    expect(result.ok ? result.output.rows[0] : result.rejection).toMatchObject({ kind });
  });

  it.each(files('dvcqg'))('dvcqg/%s validates and normalizes', (file) => {
    const value = readJson(join(examples, 'dvcqg', file));
    expect(DvcqgRecord.safeParse(value).success).toBe(true);
    const validate = published('dvcqg-record.schema.json');
    expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
    const result = normalizeMessage(message(TOPICS.dvcqg, value), options);
    expect(result.ok ? result.output.rows[0] : result.rejection).toMatchObject({
      status: Number(file.slice(7, 9)),
    });
  });

  it.each(files('catalog'))('catalog/%s validates and normalizes', (file) => {
    const value = readJson(join(examples, 'catalog', file));
    const schema = file.startsWith('procedure')
      ? 'catalog-procedure.schema.json'
      : 'catalog-agency.schema.json';
    const validate = published(schema);
    expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
    const result = normalizeMessage(message(TOPICS.catalog, value), options);
    expect(result.ok ? result.output.table : result.rejection).toBe(
      file.startsWith('procedure') ? 'procedures_v1' : 'agencies_v1',
    );
  });
});
