/**
 * YAML text → plain data, defensively: bounded complexity (guard.ts), one document, a mapping at
 * the root, unique keys and bounded alias expansion (no "billion laughs").
 */
import { Composer, LineCounter, Parser, YAMLParseError, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { ConfigProblem } from './types.js';
import { yamlComplexityProblem } from './guard.js';
import { problem, renderValue, type PathSegment } from './problems.js';

/** Alias expansions allowed when building the data (yaml's own resource-exhaustion guard). */
export const MAX_ALIAS_COUNT = 100;

export type YamlResult = { readonly data: unknown; readonly problems: ConfigProblem[] };

const YAML_PATH = '(yaml)';
const ROOT_PATH = '(root)';
const ROOT_HINT = 'expected a mapping with keys lab, nodes, virtualServers, blocklists';

/** Parse `text` (of `bytes` UTF-8 bytes); `data` is undefined when nothing usable came out (then `problems` says why). */
export function readYaml(text: string, bytes = Buffer.byteLength(text, 'utf8')): YamlResult {
  const tooComplex = yamlComplexityProblem(text, bytes);
  if (tooComplex !== undefined) return fail({ path: YAML_PATH, value: '(whole file)', reason: tooComplex });
  const lines = new LineCounter();
  let parsed: Parsed;
  try {
    parsed = parseFirstDocument(text, lines);
  } catch (error) {
    return fail({ path: YAML_PATH, value: '(whole file)', reason: `cannot parse YAML: ${messageOf(error)}` });
  }
  if (parsed.first !== undefined) {
    const { first } = parsed;
    const { line, col } = lines.linePos(first.pos[0]);
    const lineText = text.split('\n', line)[line - 1] ?? '';
    const reason = `YAML syntax error at line ${line}, column ${col}: ${first.message}`;
    if (lineText === '' && first.pos[0] >= text.trimEnd().length) return fail({ path: YAML_PATH, value: '(end of file)', reason });
    return fail(problem(YAML_PATH, lineText, reason));
  }
  const { doc } = parsed;
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    return fail(problem(ROOT_PATH, text.trim().slice(0, 80), `the file is empty; ${ROOT_HINT}`));
  }
  if (!isMap(root)) {
    const kind = isSeq(root) ? 'a list' : isScalar(root) ? `a ${root.value === null ? 'null' : typeof root.value} scalar` : 'not a mapping';
    return fail(problem(ROOT_PATH, text.trim().slice(0, 80), `the document root is ${kind}; ${ROOT_HINT}`));
  }
  const problems: ConfigProblem[] = [];
  duplicateKeys(root, [], lines, problems);
  try {
    return { data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), problems };
  } catch (error) {
    const reason =
      error instanceof ReferenceError && /alias/i.test(error.message)
        ? `too many alias expansions (more than ${MAX_ALIAS_COUNT}): anchors and aliases that multiply like a "billion laughs" bomb are refused`
        : `cannot build the data from YAML: ${messageOf(error)}`;
    return fail(...problems, { path: YAML_PATH, value: '(aliases)', reason });
  }
}

/** Thrown from the composer's error hook: the first error ends the parse. */
const STOP = Symbol('first YAML error');

/**
 * yaml's parseDocument, except that the first error ends it: yaml goes on after an error and builds
 * one error object per junk token, the whole cost of junk like `{a: 1}{a: 1}…` (seconds and hundreds
 * of MB per MiB); only the first is reported anyway. The hook is the composer's own `onError`
 * (private in its types, a plain instance property in yaml 2), wrapped, not replaced.
 */
type Parsed = { readonly first: YAMLParseError } | { readonly first?: undefined; readonly doc: Document.Parsed };

function parseFirstDocument(text: string, lines: LineCounter): Parsed {
  // logLevel 'error': yaml must not print Node warnings (a collection used as a key) past the problems.
  const composer = new Composer({ uniqueKeys: false, logLevel: 'error' });
  const hooked = composer as unknown as { onError: (...args: unknown[]) => void; errors: YAMLParseError[] };
  const onError = hooked.onError;
  if (typeof onError !== 'function') throw new Error('yaml: the Composer has no onError hook (a yaml version lvslab does not know)');
  hooked.onError = (...args: unknown[]) => {
    onError(...args);
    if (hooked.errors.length > 0) throw STOP;
  };
  let doc: Document.Parsed | undefined;
  try {
    for (const next of composer.compose(new Parser(lines.addNewLine).parse(text), true, text.length)) {
      if (doc !== undefined) {
        const error = new YAMLParseError([next.range[0], next.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()');
        return { first: error };
      }
      doc = next;
    }
  } catch (error) {
    if (error !== STOP) throw error;
    const first = hooked.errors[0];
    if (first === undefined) throw new Error('yaml: stopped without an error', { cause: error });
    return { first };
  }
  if (doc === undefined) throw new Error('yaml: no document composed');
  const [first] = doc.errors;
  return first === undefined ? { doc } : { first };
}

function fail(...problems: ConfigProblem[]): YamlResult {
  return { data: undefined, problems };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A problem for every key that repeats in its mapping (the later one), anywhere in the tree. */
function duplicateKeys(node: Node | null, path: PathSegment[], lines: LineCounter, out: ConfigProblem[]): void {
  if (isMap(node)) {
    const seen = new Map<string, number>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const line = isScalar(pair.key) && pair.key.range ? lines.linePos(pair.key.range[0]).line : 0;
      const earlier = seen.get(key);
      if (earlier === undefined) seen.set(key, line);
      else out.push(problem([...path, key], key, `duplicate key: ${renderValue(key)} is already defined at line ${earlier}`));
      duplicateKeys(pair.value as Node | null, [...path, key], lines, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => duplicateKeys(item as Node | null, [...path, i], lines, out));
  }
}
