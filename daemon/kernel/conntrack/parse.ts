/** Plain `conntrack -L` output → flows. Pure. */
import { textLines } from '../batch.js';

export interface Tuple {
  readonly src: string;
  readonly dst: string;
  readonly sport?: number;
  readonly dport?: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
  readonly icmpId?: number;
  /** Packets and bytes seen in this direction; printed only with accounting (net.netfilter.nf_conntrack_acct=1). */
  readonly packets?: number;
  readonly bytes?: number;
}

export interface ConntrackFlow {
  readonly protocol: string;
  readonly protoNum: number;
  /** Seconds left; conntrack leaves the field out when it is 0. */
  readonly timeout: number;
  /** TCP/SCTP/DCCP state, e.g. "TIME_WAIT". */
  readonly state?: string;
  readonly original: Tuple;
  readonly reply: Tuple;
  readonly assured: boolean;
  readonly unreplied: boolean;
  readonly mark?: number;
  readonly zone?: number;
  readonly use?: number;
}

type NumberKey = 'sport' | 'dport' | 'icmpType' | 'icmpCode' | 'icmpId' | 'packets' | 'bytes';
type MutableTuple = { src: string; dst?: string } & { [K in NumberKey]?: number };
const TUPLE_NUMBERS: ReadonlyMap<string, NumberKey> = new Map([['sport', 'sport'], ['dport', 'dport'], ['type', 'icmpType'], ['code', 'icmpCode'], ['id', 'icmpId'], ['packets', 'packets'], ['bytes', 'bytes']]);
const TUPLE_EXTRAS = new Set(['zone-orig', 'zone-reply', 'srckey', 'dstkey']);
const TAIL_NUMBERS = new Set(['mark', 'zone', 'use']);
const NUMBER = /^\d+$/;

const fail = (line: string, why: string): never => {
  throw new Error(`conntrack -L: ${why} in line: ${line}`);
};

const num = (value: string, line: string, key: string): number => (NUMBER.test(value) ? Number(value) : fail(line, `bad ${key}=${value}`));

function toTuple(t: MutableTuple | undefined, line: string, which: string): Tuple {
  if (t?.dst === undefined) return fail(line, `incomplete ${which} tuple`);
  return { ...t, dst: t.dst };
}

/** Puts key=value into the tuple being read ("src" starts one); false when the key is not a tuple's. */
function intoTuple(tuples: MutableTuple[], key: string, value: string, line: string): boolean {
  if (key === 'src') return tuples.push({ src: value }) > 0;
  const current = tuples.at(-1);
  const numberKey = TUPLE_NUMBERS.get(key);
  if (current === undefined) return false;
  if (key === 'dst') current.dst = value;
  else if (numberKey !== undefined) current[numberKey] = num(value, line, key);
  else return TUPLE_EXTRAS.has(key);
  return true;
}

/** The key=value and [FLAG] part, after protocol, number, timeout and state. */
function readFields(tokens: readonly string[], line: string) {
  const tuples: MutableTuple[] = [];
  const flags = new Set<string>();
  const tail: Record<string, number> = {};
  let inTuples = true;
  for (const token of tokens) {
    const flag = /^\[([A-Z_]+)\]$/.exec(token)?.[1];
    if (flag !== undefined) {
      flags.add(flag);
      continue;
    }
    const eq = token.indexOf('=');
    if (eq <= 0) return fail(line, `unexpected ${token}`);
    const [key, value] = [token.slice(0, eq), token.slice(eq + 1)];
    if (inTuples && intoTuple(tuples, key, value, line)) continue;
    inTuples = false; // mark=, use=, id= ... follow the reply tuple
    if (TAIL_NUMBERS.has(key)) tail[key] = num(value, line, key);
  }
  if (tuples.length !== 2) fail(line, `${tuples.length} tuples`);
  return { original: toTuple(tuples[0], line, 'original'), reply: toTuple(tuples[1], line, 'reply'), flags, tail };
}

export function parseConntrackLine(line: string): ConntrackFlow {
  const [protocol, protoNum = '', ...rest] = line.trim().split(/\s+/);
  if (protocol === undefined || !NUMBER.test(protoNum)) return fail(line, 'no protocol and number');
  const timeout = NUMBER.test(rest[0] ?? '') ? Number(rest.shift()) : 0;
  const state = /^[A-Z_]+$/.test(rest[0] ?? '') ? rest.shift() : undefined;
  const { original, reply, flags, tail } = readFields(rest, line);
  return {
    protocol, protoNum: Number(protoNum), timeout, ...(state === undefined ? {} : { state }), original, reply,
    assured: flags.has('ASSURED'), unreplied: flags.has('UNREPLIED'),
    ...(tail.mark === undefined ? {} : { mark: tail.mark }),
    ...(tail.zone === undefined ? {} : { zone: tail.zone }),
    ...(tail.use === undefined ? {} : { use: tail.use }),
  };
}

/** Every line is a flow; the "N flow entries have been shown" line goes to stderr, not here. */
export const parseConntrack = (text: string): ConntrackFlow[] => textLines(text).map(parseConntrackLine);
