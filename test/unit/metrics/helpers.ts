/**
 * Reading Prometheus text the way a scraper does: parse-prometheus-text-format (a real parser of the
 * text format, prom2json-compatible output) plus a strict line grammar, because that parser accepts
 * some things Prometheus refuses (any metric name, a non-numeric value).
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export type Family = parsePrometheusTextFormat.Family;

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const VALUE = '(?:[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|NaN|[+-]Inf)';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL}=${LABEL_VALUE})(?:,${LABEL}=${LABEL_VALUE})*)?\\})? (${VALUE})(?: -?\\d+)?$`);
const HELP = new RegExp(`^# HELP (${NAME}) (?:[^\\\\\\n]|\\\\[\\\\n])*$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const LABEL_NAMES = new RegExp(`(${LABEL})=${LABEL_VALUE}`, 'g');

/** Names a sample of a family of this type may have. */
function sampleNames(family: string, type: string): string[] {
  if (type === 'histogram') return [`${family}_bucket`, `${family}_sum`, `${family}_count`];
  if (type === 'summary') return [family, `${family}_sum`, `${family}_count`];
  return [family];
}

/** Throws on the first line that is not valid text format 0.0.4 (or breaks its family rules). */
export function checkGrammar(text: string): void {
  if (!text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  const typed = new Map<string, string>();
  const seen = new Set<string>();
  let family: { name: string; type: string } | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    const type = TYPE.exec(line);
    if (type) {
      const [, name = '', kind = ''] = type;
      if (typed.has(name)) throw new Error(`second TYPE for ${name}`);
      typed.set(name, kind);
      family = { name, type: kind };
      continue;
    }
    if (HELP.test(line)) continue;
    const sample = SAMPLE.exec(line);
    if (!sample) throw new Error(`not a valid line: ${JSON.stringify(line)}`);
    const [, name = '', labels = ''] = sample;
    if (family === undefined || !sampleNames(family.name, family.type).includes(name)) throw new Error(`sample outside its family: ${line}`);
    const names = [...labels.matchAll(LABEL_NAMES)].map((m) => m[1]);
    if (new Set(names).size !== names.length) throw new Error(`repeated label: ${line}`);
    if (name.endsWith('_bucket') && family.type === 'histogram' && !names.includes('le')) throw new Error(`bucket without le: ${line}`);
    const key = `${name}{${labels}}`;
    if (seen.has(key)) throw new Error(`repeated sample: ${line}`);
    seen.add(key);
  }
}

/** Grammar check, then the real parser. */
export function parseExposition(text: string): Family[] {
  checkGrammar(text);
  return parsePrometheusTextFormat(text);
}

export function family(families: readonly Family[], name: string): Family {
  const found = families.find((f) => f.name === name);
  if (found === undefined) throw new Error(`no family ${name}`);
  return found;
}

/** The samples of a family as "label=value,..." → value (the parser gives values as strings). */
export function samples(families: readonly Family[], name: string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const s of family(families, name).metrics) {
    out[Object.entries(s.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',')] = s.value;
  }
  return out;
}
