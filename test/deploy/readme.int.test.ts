// The README's configuration table is the operator's reference: every variable any service reads must be
// in it, and it must not document variables that no longer exist.
import { readFileSync } from 'node:fs';
import { AggregatorConfig } from '@dossier/aggregator';
import { MemoryBudgetConfig, MigratorConfig } from '@dossier/clickhouse';
import { IngestorConfig } from '@dossier/ingestor';
import { MonitorMainConfig } from '@dossier/monitor';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AllInOneConfig } from '../../services/all-in-one/src/config.ts';
import { AnalystsConfig } from '../../services/monitor/src/analysts/config.ts';

function keysOf(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodPipe) return keysOf(schema.in as z.ZodType);
  throw new Error('config schema is neither an object nor a pipe from one');
}

const readme = readFileSync('README.md', 'utf8');
const documented = new Set(
  [...readme.matchAll(/^\| ((?:`[A-Z][A-Z0-9_]+`(?:, )?)+)\s*\|/gm)].flatMap((m) =>
    [...(m[1] ?? '').matchAll(/`([A-Z0-9_]+)`/g)].map((k) => k[1] ?? ''),
  ),
);

describe('README configuration table', () => {
  const schemas = {
    IngestorConfig,
    AggregatorConfig,
    MonitorMainConfig,
    AllInOneConfig,
    AnalystsConfig,
    MemoryBudgetConfig,
    MigratorConfig,
  };
  const read = new Set(Object.values(schemas).flatMap((schema) => keysOf(schema)));

  it.each(Object.entries(schemas))('documents every variable of %s', (_name, schema) => {
    const missing = keysOf(schema).filter((key) => !documented.has(key));
    expect(missing).toEqual([]);
  });

  it('documents no variable that nothing reads', () => {
    expect(documented.size).toBeGreaterThan(40);
    expect([...documented].filter((key) => !read.has(key))).toEqual([]);
  });
});
