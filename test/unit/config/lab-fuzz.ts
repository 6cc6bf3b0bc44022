/**
 * Seeded generators of hostile lab files for the loader fuzz (not a test file): mutations of the shipped
 * labs (character flips, line deletions and duplications, values swapped for hostile ones, deep nesting,
 * anchors and aliases, huge numbers, unicode, truncation) and labs made from a small grammar of the lab
 * file. The same seed always gives the same files.
 */

/** mulberry32: a small, fast, seedable PRNG; uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Dice {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

/** Values that have broken parsers, validators and the tools lvslab drives. */
export const HOSTILE: readonly string[] = [
  'eth0', 'lo', 'up', 'dev', 'help', 'type', 'all', 'kube-ipvs0', 'lvslab0', 'KUBE-', 'DOCKER-', 'cali-', 'CLUSTER-IP', 'NODE-PORT-TCP',
  'foo-t', 'foo.t', '0x8000', '32768', '0', '-1', '-0', '65536', '4294967296', '1e309', '-1e309', '1.5', '0o777', '0b101', '0x',
  '99999999999999999999999999999999', '.nan', '.inf', '-.inf', '~', 'null', 'true', 'yes', 'no', 'on', '2026-12-01', '12:30:00',
  '[]', '{}', '[[[]]]', '{a: {b: {c: d}}}', '""', "''", '"\\u0000"', '"\\u202e\\u2066x"', '"a\\nb"', '"$(reboot)"', '"; rm -rf /"',
  '__proto__', 'constructor', 'prototype', 'toString', '"__proto__": 1', '*undefined_alias', '&anchor value', '!!binary AAAA',
  '!!js/function "x"', '!!python/object:os.system ls', '!!set {a, b}', '!!omap [a: 1]', '!<tag:yaml.org,2002:str> x', '|\n  block',
  '>-\n  folded', '? complex\n: key', '10.0.0.1/32', '10.1.2.3/8', '0.0.0.0/0', '255.255.255.255', '010.0.0.1', '1.2.3', '::1',
  '192.168.113.101/24', '10.10.0.1', '*/5 * * * * *', '* * * * * * *', 'x'.repeat(300), '🦀', 'é', '\u00a0', 'İ', '\ufeffbom',
  'lab', 'nodes', 'virtualServers', 'director', 'real-server', 'client', 'nat', 'dr', 'tun', 'hash:net', 'hash:ip', 'src', 'dst',
  'NodePort', 'ClusterIP', 'TCP', 'UDP', 'legacy', 'current', 'none', '0.0.0.0:9410', 'off', '127.0.0.1:0',
];

const ODD_CHARS: readonly string[] = [
  ':', '-', '[', ']', '{', '}', ',', '"', "'", '&', '*', '!', '|', '>', '#', '%', '@', '`', '?', '\t', '\n', ' ', '\r', '\0',
  '\u2028', '\u2029', '\u202e', '\ufeff', '\u00a0', '\ud800', '\udfff', '😀', 'ß', '\\', '/', '.', '0', 'a', 'Z', '~', '<', '=',
];

const KEYS: readonly string[] = [
  'lab', 'prefix', 'interface', 'masqueradeMark', 'reconcile', 'schedule', 'nodes', 'role', 'address', 'api', 'virtualServers',
  'name', 'vip', 'port', 'protocol', 'scheduler', 'forwarding', 'snat', 'persistence', 'realServers', 'node', 'weight',
  'healthCheck', 'quorum', 'sorryServer', 'blocklists', 'type', 'entries', 'match', 'drain', 'timeout', 'services', 'namespace',
  'clusterIP', 'targetPort', 'nodePort', 'sessionAffinity', 'sessionAffinityTimeout', 'endpoints', 'kubeletRules',
  'nodePortRange', 'clusterDomain', 'interval', 'rise', 'fall', 'onFailure', 'path', 'expectStatus', 'bodyContains', 'retryDelay',
  'realserver', 'VirtualServers', '<<', '__proto__', 'constructor', '',
];

/** One mutation of `text`. */
type Mutation = (text: string, d: Dice) => string;

const lines = (text: string): string[] => text.split('\n');

const MUTATIONS: readonly Mutation[] = [
  // a character replaced by an odd one
  (text, d) => {
    const i = d.int(text.length + 1);
    return text.slice(0, i) + d.pick(ODD_CHARS) + text.slice(i + 1);
  },
  // an odd character inserted
  (text, d) => {
    const i = d.int(text.length + 1);
    return text.slice(0, i) + d.pick(ODD_CHARS) + text.slice(i);
  },
  // a line deleted
  (text, d) => {
    const ls = lines(text);
    ls.splice(d.int(ls.length), 1);
    return ls.join('\n');
  },
  // a line duplicated (duplicate keys, repeated list items)
  (text, d) => {
    const ls = lines(text);
    const i = d.int(ls.length);
    ls.splice(i, 0, ls[i] ?? '');
    return ls.join('\n');
  },
  // two lines swapped (indentation moves)
  (text, d) => {
    const ls = lines(text);
    const i = d.int(ls.length);
    const j = d.int(ls.length);
    [ls[i], ls[j]] = [ls[j] ?? '', ls[i] ?? ''];
    return ls.join('\n');
  },
  // a value swapped for a hostile one
  (text, d) => {
    const ls = lines(text);
    const candidates = ls.map((l, i) => [l, i] as const).filter(([l]) => /:\s*\S/.test(l) && !l.trimStart().startsWith('#'));
    if (candidates.length === 0) return text;
    const [line, i] = d.pick(candidates);
    const colons = [...line.matchAll(/: /g)].map((m) => m.index ?? 0);
    const at = colons.length > 0 ? d.pick(colons) : line.indexOf(':');
    const end = line.indexOf(',', at + 2);
    const value = d.pick(HOSTILE);
    ls[i] = line.slice(0, at + 2) + value + (end >= 0 && d.chance(0.5) ? line.slice(end) : '');
    return ls.join('\n');
  },
  // a flow value inside { } replaced (hostile node fields)
  (text, d) => text.replace(/(\{ *\w+: )([^,}]+)/, (_, head: string) => `${head}${d.pick(HOSTILE)}`),
  // a key renamed (typo, unknown key, prototype names)
  (text, d) => {
    const keys = [...text.matchAll(/^(\s*-?\s*)(\w+):/gm)];
    if (keys.length === 0) return text;
    const m = d.pick(keys);
    const start = (m.index ?? 0) + (m[1]?.length ?? 0);
    return text.slice(0, start) + d.pick(KEYS) + text.slice(start + (m[2]?.length ?? 0));
  },
  // deep flow nesting somewhere
  (text, d) => {
    const depth = 1 + d.int(120);
    const nest = `${'['.repeat(depth)}x${']'.repeat(d.chance(0.8) ? depth : d.int(depth))}`;
    return text.replace(/: .*$/m, `: ${nest}`);
  },
  // deep block nesting on one line or over many lines
  (text, d) => {
    const depth = 1 + d.int(40);
    const block = d.chance(0.5) ? `${'- '.repeat(depth)}x` : Array.from({ length: depth }, (_, i) => `${' '.repeat(i * 2)}k${i}:`).join('\n');
    return `${text}\nextra:\n${block}\n`;
  },
  // anchors and aliases: reuse, merge keys, undefined aliases, a small bomb
  (text, d) => {
    const kind = d.int(5);
    if (kind === 0) return text.replace(/^nodes:/m, 'nodes: &n').concat('\nmore: *n\n');
    if (kind === 1) return text.replace(/^(\s+- )\{/m, '$1&rs {').replace(/(\n\s+- )\{ node: rs2[^}]*\}/, '$1*rs');
    if (kind === 2) return `${text}\n${d.pick(KEYS)}: *${d.chance(0.5) ? 'nowhere' : 'n'}\n`;
    if (kind === 3) return text.replace(/^(\s+)(rs1|web1|lb|ds):\s*\{/m, '$1$2: &x {').concat('\nx2: { <<: *x, role: client }\n');
    const width = 2 + d.int(9);
    const levels = 2 + d.int(8);
    const bomb = Array.from({ length: levels }, (_, i) =>
      `b${i}: &b${i} [${Array.from({ length: width }, () => (i === 0 ? '"lol"' : `*b${i - 1}`)).join(', ')}]`).join('\n');
    return `${text}\n${bomb}\n`;
  },
  // a huge or odd number
  (text, d) => text.replace(/\b\d{2,5}\b/, d.pick(['1e400', '123456789012345678901234567890', '-0', '0x7fffffffffffffff', '1_000', '+80', '8_0', '0.0', '1e3', 'NaN', '9'.repeat(400)])),
  // unicode soup at a random place
  (text, d) => {
    const i = d.int(text.length + 1);
    const soup = Array.from({ length: 1 + d.int(8) }, () => String.fromCodePoint(d.pick([0x202e, 0x2066, 0x200b, 0xfeff, 0x1f980, 0x4e2d, 0x0301, 0x10ffff, 0xfffd, 0x85]))).join('');
    return text.slice(0, i) + soup + text.slice(i);
  },
  // cut short
  (text, d) => text.slice(0, d.int(text.length + 1)),
  // a list where a mapping is, and the other way round
  (text, d) => (d.chance(0.5) ? text.replace(/^nodes:/m, 'nodes:\n  - x') : text.replace(/^virtualServers:/m, 'virtualServers: { a: 1 }\nold:')),
  // another document, a directive, a tag on the root
  (text, d) => d.pick([`${text}\n---\nlab: two\n`, `%YAML 1.1\n---\n${text}`, `!!map\n${text}`, `--- !foo\n${text}`, `${text}\n...\n`]),
  // many repeated items (long flow lists)
  (text, d) => text.replace(/entries: \[/, `entries: [${Array.from({ length: 1 + d.int(40) }, (_, i) => `10.${i >> 8}.${i & 255}.1`).join(', ')}, `),
];

/** The `lab:` line and one other top-level section of `text` (a small case: cheaper, and a lab with parts missing). */
function oneSection(text: string, d: Dice): string {
  const sections = text.split(/\n(?=[^\s#-])/);
  return `${sections.find((s) => s.startsWith('lab:')) ?? ''}\n${d.pick(sections)}\n`;
}

/** `text` (or, 45% of the time, one of its sections) with 1 to 3 mutations applied. */
export function mutate(text: string, d: Dice): string {
  let out = d.chance(0.45) ? oneSection(text, d) : text;
  const count = 1 + d.int(3);
  for (let i = 0; i < count; i++) out = d.pick(MUTATIONS)(out, d);
  return out;
}

// ---- grammar-made labs ----

type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

const ip = (d: Dice): string => (d.chance(0.9) ? `10.${d.int(4)}.${d.int(4)}.${1 + d.int(4)}` : d.pick(HOSTILE));
const scalar = (d: Dice, good: () => Value): Value => (d.chance(0.85) ? good() : d.chance(0.5) ? d.pick(HOSTILE) : d.pick([null, true, -1, 1e21, [], {}]));
const names = ['ds', 'rs1', 'rs2', 'c', 'a-b', 'x'];

function node(d: Dice): Value {
  return {
    role: scalar(d, () => d.pick(['director', 'real-server', 'client'])),
    address: scalar(d, () => `${ip(d)}/${d.pick([8, 16, 24, 32])}`),
    ...(d.chance(0.2) ? { api: scalar(d, () => d.pick(['0.0.0.0:9410', 'off', '127.0.0.1:9411'])) } : {}),
  };
}

function virtualServer(d: Dice): Value {
  const rs = Array.from({ length: 1 + d.int(2) }, () => ({ node: scalar(d, () => d.pick(names)), port: scalar(d, () => 1 + d.int(65535)), ...(d.chance(0.3) ? { weight: d.int(5) } : {}) }));
  return {
    name: scalar(d, () => d.pick(['web', 'dns', 'a', 'b-2'])),
    vip: scalar(d, () => ip(d)),
    port: scalar(d, () => 1 + d.int(65535)),
    ...(d.chance(0.5) ? { protocol: scalar(d, () => d.pick(['tcp', 'udp'])) } : {}),
    ...(d.chance(0.3) ? { forwarding: scalar(d, () => d.pick(['nat', 'dr', 'tun'])) } : {}),
    ...(d.chance(0.3) ? { snat: scalar(d, () => d.chance(0.5)) } : {}),
    ...(d.chance(0.2) ? { healthCheck: { type: scalar(d, () => d.pick(['tcp', 'http'])), interval: scalar(d, () => `${1 + d.int(9)}s`) } } : {}),
    ...(d.chance(0.1) ? { quorum: scalar(d, () => d.int(4)) } : {}),
    realServers: rs,
  };
}

function blocklist(d: Dice): Value {
  return {
    name: scalar(d, () => d.pick(['bl', 'foo', 'foo-t', 'CLUSTER-IP', 'INPUT', 'x_y'])),
    ...(d.chance(0.5) ? { type: scalar(d, () => d.pick(['hash:ip', 'hash:net'])) } : {}),
    entries: Array.from({ length: d.int(5) }, () => scalar(d, () => (d.chance(0.5) ? ip(d) : `${ip(d)}/${d.pick([8, 24, 31, 32])}`))),
    ...(d.chance(0.3) ? { protocol: scalar(d, () => 'tcp'), port: scalar(d, () => 22) } : {}),
  };
}

function service(d: Dice): Value {
  return {
    name: scalar(d, () => d.pick(['svc', 'dns', 'a'])),
    ...(d.chance(0.5) ? { type: scalar(d, () => d.pick(['ClusterIP', 'NodePort'])) } : {}),
    clusterIP: scalar(d, () => `10.96.0.${1 + d.int(5)}`),
    port: scalar(d, () => d.pick([53, 80, 443])),
    ...(d.chance(0.5) ? { nodePort: scalar(d, () => 30000 + d.int(100)) } : {}),
    ...(d.chance(0.3) ? { protocol: scalar(d, () => d.pick(['TCP', 'UDP'])) } : {}),
    endpoints: Array.from({ length: d.int(3) }, () => ({ node: scalar(d, () => d.pick(names)) })),
  };
}

function lab(d: Dice): Record<string, Value> {
  const nodes: Record<string, Value> = {};
  for (let i = d.int(4); i >= 0; i--) nodes[d.chance(0.9) ? d.pick(names) : d.pick(HOSTILE)] = node(d);
  const out: Record<string, Value> = { lab: scalar(d, () => d.pick(['g', 'lab-1', 'kube'])), nodes };
  if (d.chance(0.3)) out['prefix'] = scalar(d, () => d.pick(['LVSLAB-', 'KUBE-', 'AB-', 'DOCKER-', 'X-']));
  if (d.chance(0.3)) out['interface'] = scalar(d, () => d.pick(['lvslab0', 'kube-ipvs0', 'eth0', 'up', 'lvslab-x']));
  if (d.chance(0.2)) out['masqueradeMark'] = scalar(d, () => d.pick([0x4000, 0x8000, 1, 3]));
  if (d.chance(0.2)) out['kubeletRules'] = scalar(d, () => d.pick(['legacy', 'current', 'none']));
  if (d.chance(0.6)) out['virtualServers'] = Array.from({ length: d.int(3) }, () => virtualServer(d));
  if (d.chance(0.4)) out['blocklists'] = Array.from({ length: d.int(3) }, () => blocklist(d));
  if (d.chance(0.3)) out['services'] = Array.from({ length: d.int(3) }, () => service(d));
  if (d.chance(0.05)) out[d.pick(KEYS)] = d.pick(HOSTILE);
  return out;
}

const PLAIN = /^[A-Za-z0-9_./:-]+$/;

/** A scalar in YAML, sometimes quoted; hostile strings are written raw (so they are YAML, not strings). */
function emitScalar(value: Value, d: Dice): string {
  if (typeof value !== 'string') return JSON.stringify(value);
  if (HOSTILE.includes(value) && d.chance(0.5)) return value.includes('\n') ? JSON.stringify(value) : value;
  return PLAIN.test(value) && d.chance(0.7) ? value : JSON.stringify(value);
}

function emitFlow(value: Value, d: Dice): string {
  if (Array.isArray(value)) return `[${value.map((v) => emitFlow(v, d)).join(', ')}]`;
  if (value !== null && typeof value === 'object') return `{ ${Object.entries(value).map(([k, v]) => `${emitKey(k)}: ${emitFlow(v, d)}`).join(', ')} }`;
  const text = emitScalar(value, d);
  return /[\n,[\]{}]/.test(text) && !text.startsWith('"') ? JSON.stringify(text) : text;
}

const emitKey = (key: string): string => (/^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key));

/** `value` as block YAML at `indent`, switching to flow style at random. */
function emitBlock(value: Value, indent: string, d: Dice): string {
  if (Array.isArray(value)) {
    if (value.length === 0 || d.chance(0.3)) return ` ${emitFlow(value, d)}`;
    return value.map((v) => `\n${indent}-${emitBlock(v, `${indent}  `, d).replace(/^\n\s*/, ' ')}`).join('');
  }
  if (value !== null && typeof value === 'object') {
    if (Object.keys(value).length === 0 || d.chance(0.3)) return ` ${emitFlow(value, d)}`;
    return Object.entries(value).map(([k, v]) => `\n${indent}${emitKey(k)}:${emitBlock(v, `${indent}  `, d)}`).join('');
  }
  return ` ${emitScalar(value, d)}`;
}

/** A lab made from the grammar, in a random mix of block and flow style. */
export function grammarLab(d: Dice): string {
  return `${emitBlock(lab(d), '', d).replace(/^\n/, '')}\n`;
}
