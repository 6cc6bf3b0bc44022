/**
 * JSON text → plain data, for labs that programs generate: JSON.parse (linear, no aliases, no tags)
 * after the same size limit as YAML and a bound on its values; a syntax error is one problem naming
 * its line and column.
 */
import type { ConfigProblem } from './types.js';
import { problem } from './problems.js';
import { JSON_VALUE_ALLOWANCE, MAX_JSON_VALUES_PER_BYTE } from './limits.js';
import { MAX_FLOW_DEPTH } from './guard.js';

export type JsonResult = { readonly data: unknown; readonly problems: ConfigProblem[] };

const JSON_PATH = '(json)';
const ROOT_PATH = '(root)';

/**
 * JSON, not YAML: a `.json` name, or text whose first non-blank character is `{` under a name that
 * is not `.yaml`/`.yml` (a YAML file may be one flow mapping; JSON is YAML too, only slower to read).
 */
export function looksLikeJson(text: string, source: string): boolean {
  return /\.json$/i.test(source) || (!/\.ya?ml$/i.test(source) && /^\s*\{/.test(text));
}

/** The values a JSON text of `bytes` bytes may hold. */
export const jsonValueBudget = (bytes: number): number => JSON_VALUE_ALLOWANCE + Math.floor(bytes * MAX_JSON_VALUES_PER_BYTE);

/**
 * Why `text` is refused before JSON.parse, or undefined: one pass over the characters counts the
 * values (each `,` `[` `{` starts one) outside strings and the nesting. JSON.parse holds ~100 bytes
 * per value: `{},{},…` (a value per 1.5 bytes) would cost gigabytes and a minute at the size limit.
 */
export function jsonComplexityProblem(text: string, bytes: number): string | undefined {
  const budget = jsonValueBudget(bytes);
  let values = 1;
  let depth = 0;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x0a) line++;
    else if (c === 0x2c /* , */ || c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++values > budget) {
        return (
          `the file has more than ${budget} JSON values, the limit for its ${bytes} bytes (${JSON_VALUE_ALLOWANCE} + ` +
          `${MAX_JSON_VALUES_PER_BYTE} per byte; labs write under 0.1, junk more) (reached at line ${line}); refusing to parse it`
        );
      }
      if (c !== 0x2c && ++depth > MAX_FLOW_DEPTH) return `JSON nesting deeper than ${MAX_FLOW_DEPTH} levels at line ${line}; refusing to parse it`;
    } else if ((c === 0x5d /* ] */ || c === 0x7d) /* } */ && depth > 0) depth--;
  }
  return undefined;
}

export function readJson(text: string, bytes = Buffer.byteLength(text, 'utf8')): JsonResult {
  const tooComplex = jsonComplexityProblem(text, bytes);
  if (tooComplex !== undefined) return { data: undefined, problems: [{ path: JSON_PATH, value: '(whole file)', reason: tooComplex }] };
  let data: unknown;
  try {
    // A reviver that drops "__proto__" keys would cost a call per value; JSON.parse already makes
    // them own properties, and own() (problems.ts) never reads an inherited one.
    data = JSON.parse(text);
  } catch (error) {
    return { data: undefined, problems: [syntaxProblem(text, error instanceof Error ? error.message : String(error))] };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    const kind = Array.isArray(data) ? 'a list' : data === null ? 'null' : `a ${typeof data}`;
    const reason = `the document root is ${kind}; expected an object with keys lab, nodes, virtualServers, blocklists`;
    return { data: undefined, problems: [problem(ROOT_PATH, text.trim().slice(0, 80), reason)] };
  }
  return { data, problems: [] };
}

/** V8 names the offset ("at position 12", Node 22 adds "(line 1 column 13)"); the end of the text when it does not. */
function syntaxProblem(text: string, message: string): ConfigProblem {
  const position = /at position (\d+)/.exec(message);
  const offset = position === null ? text.length : Math.min(Number(position[1]), text.length);
  const { line, column } = lineAndColumn(text, offset);
  const detail = message.replace(/\s*\(line \d+ column \d+\)/, '');
  const reason = `JSON syntax error at line ${line}, column ${column}: ${detail}`;
  if (offset >= text.trimEnd().length) return { path: JSON_PATH, value: '(end of file)', reason };
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', offset);
  return problem(JSON_PATH, text.slice(start, end === -1 ? undefined : end), reason);
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
