/**
 * A cheap look at YAML text before the real parser sees it. The yaml parser is correct but not
 * built for hostile input: junk like 1 MiB of `"a""a"…` or `? ? ? …` costs it seconds and gigabytes
 * (even a fatal out-of-memory, which no try/catch survives). Its lexer, though, is fast and flat,
 * so one lexer pass bounds what the parser will be given: the number of tokens, the flow nesting
 * and the block nesting written on a single line.
 */
import { CST, Lexer } from 'yaml';

/** Lexer tokens accepted (spaces and newlines count): ~15k flow-style list entries, ~10k block-style;
 * hostile junk at this size still costs the parser ~1 s and ~150 MB. */
export const MAX_TOKENS = 50_000;
/** Deepest [ and { nesting accepted. */
export const MAX_FLOW_DEPTH = 64;
/** Most block indicators (`- `, `? `, `: ` outside flow collections) accepted on one line. */
export const MAX_INDICATORS_PER_LINE = 32;

/** Why `text` is refused before parsing, or undefined when it may be parsed. */
export function yamlComplexityProblem(text: string): string | undefined {
  let tokens = 0;
  let line = 1;
  let depth = 0;
  let indicators = 0;
  for (const token of new Lexer().lex(text)) {
    if (++tokens > MAX_TOKENS) {
      return `the file has more than ${MAX_TOKENS} YAML tokens (reached at line ${line}); refusing to parse it`;
    }
    switch (CST.tokenType(token)) {
      case 'newline':
        line++;
        indicators = 0;
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

function countNewlines(token: string): number {
  let count = 0;
  for (let i = token.indexOf('\n'); i >= 0; i = token.indexOf('\n', i + 1)) count++;
  return count;
}
