/**
 * A cheap look at YAML text before the real parser sees it. The yaml parser is correct but not
 * built for hostile input: junk like `"a""a"…`, `{a: 1}{a: 1}…` or `? ? ? …` made it build one error
 * object per token (seconds and hundreds of MB per MiB, then a fatal out-of-memory), or recurse once
 * per nesting level. The errors are bounded in yaml.ts (parsing stops at the first one); this one
 * lexer pass (fast and flat) bounds the rest: tokens in proportion to the file's bytes and in all
 * (limits.ts), the flow nesting, and the block nesting written on one line or by indentation.
 */
import { CST, Lexer } from 'yaml';
import { MAX_YAML_TOKENS, MAX_YAML_TOKENS_PER_BYTE, YAML_TOKEN_ALLOWANCE } from './limits.js';

/** Deepest [ and { nesting accepted. */
export const MAX_FLOW_DEPTH = 64;
/** Most block indicators (`- `, `? `, `: ` outside flow collections) accepted on one line. */
export const MAX_INDICATORS_PER_LINE = 32;
/** Deepest indentation accepted (columns of leading spaces): block nesting the parser recurses into. */
export const MAX_INDENT = 256;

/** Token types of a value: two on one line with only spaces between them are a syntax error. */
const SCALARS: ReadonlySet<string> = new Set(['scalar', 'single-quoted-scalar', 'double-quoted-scalar', 'alias']);

/** The tokens a YAML text of `bytes` bytes may have. */
export const yamlTokenBudget = (bytes: number): number =>
  Math.min(MAX_YAML_TOKENS, YAML_TOKEN_ALLOWANCE + Math.floor(bytes * MAX_YAML_TOKENS_PER_BYTE));

const JSON_HINT = 'write the lab as JSON (a .json file with the same keys, read at a fraction of the cost), or move blocklist entries to an entriesFile';

/** Why `text` (of `bytes` UTF-8 bytes) is refused before parsing, or undefined when it may be parsed. */
export function yamlComplexityProblem(text: string, bytes: number): string | undefined {
  const budget = yamlTokenBudget(bytes);
  let tokens = 0;
  let line = 1;
  let depth = 0;
  let indicators = 0;
  let atLineStart = true;
  let afterScalar = false;
  for (const token of new Lexer().lex(text)) {
    if (++tokens > budget) return tooManyTokens(budget, bytes, line);
    const type = CST.tokenType(token);
    if (type !== null && SCALARS.has(type)) {
      // `"a""a"…` or `"a" "a" …`: never YAML, and the parser would build a node and an error for each.
      if (afterScalar) return `YAML syntax error at line ${line}: two values with nothing between them (a ',' ':' or newline is missing); refusing to parse it`;
      afterScalar = true;
    } else if (type !== 'space') afterScalar = false;
    if (atLineStart && type === 'space' && token.length > MAX_INDENT) {
      return `line ${line} is indented ${token.length} columns, more than ${MAX_INDENT}: nesting that deep is refused; a lab needs a few levels`;
    }
    atLineStart = false;
    switch (type) {
      case 'newline':
        line++;
        indicators = 0;
        atLineStart = true;
        break;
      case 'flow-map-start':
      case 'flow-seq-start':
        if (++depth > MAX_FLOW_DEPTH) return `YAML nesting deeper than ${MAX_FLOW_DEPTH} levels at line ${line}; refusing to parse it`;
        break;
      case 'flow-map-end':
      case 'flow-seq-end':
        if (depth > 0) depth--;
        break;
      case 'flow-error-end':
        depth = 0;
        break;
      case 'seq-item-ind':
      case 'explicit-key-ind':
      case 'map-value-ind':
        if (depth === 0 && ++indicators > MAX_INDICATORS_PER_LINE) {
          return `more than ${MAX_INDICATORS_PER_LINE} nested block indicators (- ? :) on line ${line}; refusing to parse it`;
        }
        break;
      default:
        // A multi-line token (block scalar, quoted string) still moves the line count on.
        if (token.length > 1) line += countNewlines(token);
    }
  }
  return undefined;
}

function tooManyTokens(budget: number, bytes: number, line: number): string {
  const limit =
    budget === MAX_YAML_TOKENS
      ? `the limit of ${MAX_YAML_TOKENS} YAML tokens (about 35,000 virtual servers or 400,000 blocklist entries in block style)`
      : `${budget} YAML tokens, the limit for its ${bytes} bytes (${YAML_TOKEN_ALLOWANCE} + ${MAX_YAML_TOKENS_PER_BYTE} per byte; honest labs write under 0.45, junk more)`;
  return `the file has more than ${limit} (reached at line ${line}); refusing to parse it: ${JSON_HINT}`;
}

function countNewlines(token: string): number {
  let count = 0;
  for (let i = token.indexOf('\n'); i >= 0; i = token.indexOf('\n', i + 1)) count++;
  return count;
}
