/**
 * Every JSON record a test captures is validated against the schema of its `type` (schema/*.json,
 * JSON Schema 2020-12): a renamed, missing or extra field fails the test that printed it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const dir = fileURLToPath(new URL('../../schema/', import.meta.url));
const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ allErrors: true, strict: true });
(addFormats as unknown as typeof addFormats.default)(ajv);
export const SCHEMAS: Record<string, object> = {};
for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
  const s = JSON.parse(readFileSync(dir + f, 'utf8')) as { title: string };
  SCHEMAS[s.title] = s;
  ajv.addSchema(s);
}

/** Throws when a record does not match the schema of its type (or has a type without a schema). */
export function validateRecord(r: Record<string, unknown>): void {
  const type = r.type;
  if (typeof type !== 'string') return; // not one of ours (helper output)
  const schema = SCHEMAS[type];
  if (!schema) throw new Error(`record of type "${type}" has no schema under schema/: ${JSON.stringify(r).slice(0, 300)}`);
  const v = ajv.getSchema((schema as { $id: string }).$id)!;
  if (!v(r)) throw new Error(`record of type "${type}" does not match schema/${type}.json: ${ajv.errorsText(v.errors)}\n${JSON.stringify(r).slice(0, 600)}`);
}
