/**
 * The JSON Schemas of the --json documents (docs/schemas/NAME.schema.json), compiled by ajv in strict
 * mode: validateDocument(NAME, value) gives each way VALUE breaks the schema as one line, [] when it
 * holds (`t.deepEqual(validateDocument('up', doc), [])`). Read from the package's
 * docs/schemas (packageRoot), wherever the tests run from.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { packageRoot } from '../../daemon/paths.js';

export const SCHEMA_DIR = join(packageRoot, 'docs/schemas');

export type DocumentName = 'up' | 'verify' | 'doctor' | 'compare' | 'trace' | 'reconcile' | 'status' | 'state';

const file = (name: string): string => `${name}.schema.json`;

/** Every schema under docs/schemas, by NAME. */
export const schemaNames = (): string[] =>
  readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json')).map((f) => f.slice(0, -'.schema.json'.length)).sort();

export const readSchema = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(SCHEMA_DIR, file(name)), 'utf8')) as Record<string, unknown>;

// ajv-formats is CommonJS: under NodeNext the default import is its module.exports, whose .default is the plugin
const addFormats = addFormatsModule.default;

/** An ajv holding every schema by its file name, so that "$ref": "verify.schema.json" resolves. */
export function schemaAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  for (const name of schemaNames()) ajv.addSchema(readSchema(name), file(name));
  return ajv;
}

let shared: Ajv2020 | undefined;
const validators = new Map<string, ValidateFunction>();

const describe = (e: ErrorObject): string => `${e.instancePath || '/'} ${e.message ?? e.keyword}${e.keyword === 'additionalProperties' ? ` (${String(e.params['additionalProperty'])})` : e.keyword === 'enum' ? ` (${(e.params['allowedValues'] as unknown[]).join(', ')})` : ''}`;

/** VALUE against docs/schemas/NAME.schema.json: one line per error ("/verify/ok must be boolean"), [] when it holds. */
export function validateDocument(name: DocumentName, value: unknown): string[] {
  shared ??= schemaAjv();
  let validate = validators.get(name);
  if (validate === undefined) {
    validate = shared.getSchema(file(name));
    if (validate === undefined) throw new Error(`no schema ${file(name)} in ${SCHEMA_DIR}`);
    validators.set(name, validate);
  }
  return validate(value) ? [] : (validate.errors ?? []).map(describe);
}
