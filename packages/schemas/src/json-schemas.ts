import { z } from 'zod';
import { CANONICAL_EVENTS } from './canonical-event.ts';
import { AgencyUpsert, ProcedureUpsert } from './catalog.ts';
import { DvcqgRecord } from './dvcqg-record.ts';
import { AgencyRowSchema, DossierEventRowSchema, ProcedureRowSchema } from './row-schemas.ts';
import { DOSSIER_KINDS } from './rows.ts';

/**
 * The published JSON Schemas (docs/schemas), generated from the zod schemas so they cannot drift.
 * Inputs are described as accepted (`io: 'input'`); refinements the JSON Schema cannot express
 * (existing dates, cross-field rules) are stated in the descriptions and in docs/input-contract.md.
 */

function toJson(schema: z.ZodType, title: string, description: string): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
  return { ...json, title, description };
}

export function buildJsonSchemas(): Record<string, Record<string, unknown>> {
  const files: Record<string, Record<string, unknown>> = {};
  for (const kind of DOSSIER_KINDS) {
    files[`canonical-event.${kind}.schema.json`] = toJson(
      CANONICAL_EVENTS[kind],
      `vn.dossier.${kind}`,
      `Canonical dossier event of kind ${kind} (CloudEvents 1.0, structured mode) on the events topic.`,
    );
  }
  const all = DOSSIER_KINDS.map((k) => CANONICAL_EVENTS[k]);
  files['canonical-event.schema.json'] = toJson(
    z.union(all),
    'Canonical dossier event',
    'Any canonical dossier event (CloudEvents 1.0, structured mode); `type` selects the kind.',
  );
  files['dvcqg-record.schema.json'] = toJson(
    DvcqgRecord,
    'DVCQG sync record',
    'One DVCQG synchronisation record (a full dossier snapshot) on the dvcqg-sync topic. Empty strings and nulls mean absent.',
  );
  files['catalog-procedure.schema.json'] = toJson(
    ProcedureUpsert,
    'vn.catalog.procedure',
    'Procedure upsert on the catalog topic.',
  );
  files['catalog-agency.schema.json'] = toJson(
    AgencyUpsert,
    'vn.catalog.agency',
    'Agency upsert on the catalog topic.',
  );
  files['row-dossier-event.schema.json'] = toJson(
    DossierEventRowSchema,
    'dossier_events_v1 row',
    'The normalized row written to ClickHouse dossier_events_v1 (output of the normalizer).',
  );
  files['row-procedure.schema.json'] = toJson(
    ProcedureRowSchema,
    'procedures_v1 row',
    'Normalized procedure row.',
  );
  files['row-agency.schema.json'] = toJson(AgencyRowSchema, 'agencies_v1 row', 'Normalized agency row.');
  return files;
}

/** The exact bytes of each published file. */
export function renderJsonSchemas(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, schema] of Object.entries(buildJsonSchemas()).sort(([a], [b]) => a.localeCompare(b))) {
    out.set(name, `${JSON.stringify(schema, null, 2)}\n`);
  }
  return out;
}
