import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderJsonSchemas } from './json-schemas.ts';

/** `npm run schemas -w @dossier/schemas`: regenerates docs/schemas from the zod schemas. */
const target = join(import.meta.dirname, '..', '..', '..', 'docs', 'schemas');
mkdirSync(target, { recursive: true });
const files = renderJsonSchemas();
for (const name of readdirSync(target)) {
  if (name.endsWith('.schema.json') && !files.has(name)) rmSync(join(target, name));
}
for (const [name, text] of files) writeFileSync(join(target, name), text);
console.log(`wrote ${files.size} JSON Schemas to ${target}`);
