/**
 * ConfigProblem helpers: rendering paths and values, turning zod issues into problems, and the
 * one-line-per-problem text a person reads.
 */
import type * as z from 'zod';
import type { ConfigProblem } from './types.js';
import { keysAt } from './schema.js';
import { MAX_PROBLEMS } from './limits.js';

export type PathSegment = string | number;

/** A value shown in a problem is cut to this many characters (formatProblems cuts shorter). */
const MAX_VALUE_LENGTH = 200;
const MAX_FORMATTED_VALUE = 60;
const MAX_KEY_LENGTH = 64;
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/** ["virtualServers", 0, "port"] → "virtualServers[0].port"; odd keys are quoted: nodes["bad name"]. */
export function renderPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${quoteKey(String(segment))}]`;
  }
  return out;
}

function quoteKey(key: string): string {
  return key.length > MAX_KEY_LENGTH ? `${JSON.stringify(key.slice(0, MAX_KEY_LENGTH))}…` : JSON.stringify(key);
}

/** The offending value as JSON-like text (strings quoted and escaped), cut to a sane length. */
export function renderValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  let text: string;
  try {
    if (typeof value === 'string') text = JSON.stringify(value.length > MAX_VALUE_LENGTH ? value.slice(0, MAX_VALUE_LENGTH) : value);
    else if (typeof value === 'number' || typeof value === 'boolean' || value === null) text = String(value);
    else text = boundedJson(value, MAX_VALUE_LENGTH + 1) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 1)}…` : text;
}

/**
 * JSON.stringify's compact text of `value`, stopped once it is longer than `max` (a junk file's
 * value may hold millions of elements: stringifying it whole costs seconds and gigabytes). A
 * repeated object (an alias, a cycle) prints as "[Circular]".
 */
function boundedJson(value: unknown, max: number): string | undefined {
  const seen = new WeakSet<object>();
  let out = '';
  const write = (v: unknown): boolean => {
    if (out.length > max) return false;
    if (typeof v === 'string') out += JSON.stringify(v.length > max ? v.slice(0, max) : v);
    else if (typeof v !== 'object' || v === null) out += JSON.stringify(v) ?? 'null';
    else if (seen.has(v)) out += '"[Circular]"';
    else {
      seen.add(v);
      const array = Array.isArray(v);
      out += array ? '[' : '{';
      let first = true;
      for (const key of array ? v.keys() : Object.keys(v)) {
        const item = (v as Record<PropertyKey, unknown>)[key];
        if (!array && (item === undefined || typeof item === 'function' || typeof item === 'symbol')) continue;
        out += first ? '' : ',';
        first = false;
        if (!array) out += `${JSON.stringify(key)}:`;
        if (!write(item)) return false;
      }
      out += array ? ']' : '}';
    }
    return out.length <= max;
  };
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  write(value);
  return out;
}

export function problem(path: readonly PropertyKey[] | string, value: unknown, reason: string): ConfigProblem {
  return { path: typeof path === 'string' ? path : renderPath(path), value: renderValue(value), reason };
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property of a mapping, never something inherited ("constructor", "__proto__"). */
export function own(value: unknown, key: PropertyKey): unknown {
  if (typeof key === 'number' && Array.isArray(value)) return value[key];
  if (!isMapping(value) || typeof key === 'symbol' || !Object.hasOwn(value, key)) return undefined;
  return value[key];
}

/** `obj[key]` parsed by `schema` (defaults applied), or undefined when absent-and-required or invalid. */
export function field<T>(schema: z.ZodType<T>, obj: unknown, key: string): T | undefined {
  const result = schema.safeParse(own(obj, key));
  return result.success ? result.data : undefined;
}

export const list = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);

export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((value, key) => own(value, key), root);
}

/** The closest accepted key for a typo ("realserver" → "realServers"), if any is close enough. */
export function suggestKey(key: string, expected: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: { key: string; distance: number } | undefined;
  for (const candidate of expected) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2 || a.length > 64 || b.length > 64) return Infinity;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? Infinity;
}

/** Zod issues → problems; an unknown-keys issue becomes one problem per key. */
export function zodProblems(issues: readonly z.core.$ZodIssue[], root: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    // Past MAX_PROBLEMS + 1 nothing more is listed (problem-budget.ts says so): a junk file may have millions.
    if (out.length > MAX_PROBLEMS) break;
    if (issue.code === 'unrecognized_keys') {
      const expected = keysAt(issue.path);
      for (const key of issue.keys) {
        const guess = suggestKey(key, expected);
        const hint = guess === undefined ? '' : ` (did you mean "${guess}"?)`;
        const reason = `unknown key${hint}; expected one of: ${expected.join(', ')}`;
        out.push(problem([...issue.path, key], valueAt(root, [...issue.path, key]), reason));
      }
      continue;
    }
    out.push(problem(issue.path, valueAt(root, issue.path), issue.message));
  }
  return out;
}

/** Control characters, line separators and bidi overrides, shown escaped so one problem stays one line. */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function escapeText(text: string): string {
  return text.replace(INVISIBLE, (ch) => {
    const escaped = JSON.stringify(ch).slice(1, -1);
    return escaped.length > 1 ? escaped : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One line per problem: `seed.yaml: virtualServers[0].port: 70000 — must be an integer from 1 to 65535`. */
export function formatProblems(source: string, problems: readonly ConfigProblem[]): string {
  return problems
    .map((p) => `${escapeText(source)}: ${escapeText(p.path)}: ${truncate(escapeText(p.value), MAX_FORMATTED_VALUE)} — ${escapeText(p.reason)}`)
    .join('\n');
}

/** The same problems without repeats (same path and reason), in their first order. */
export function dedupe(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
