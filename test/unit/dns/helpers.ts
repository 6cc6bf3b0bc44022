/** Shared by the DNS tests: a sample zone, query builders, a seeded PRNG and a logger that keeps warnings. */
import { decode, encode, type DecodedPacket, type Packet, type RecordType } from 'dns-packet';
import { buildZone, type ServiceZone } from '../../../daemon/dns/zone.js';

export const DOMAIN = 'cluster.local';

export const sampleZone = (): ServiceZone => buildZone(DOMAIN, [
  { name: 'web', namespace: 'default', clusterIP: '10.96.0.10' },
  { name: 'api', namespace: 'shop', clusterIP: '10.96.7.1' },
  { name: 'kube', namespace: 'default', clusterIP: '10.96.0.1' },
]);

export interface QueryOptions {
  readonly id?: number;
  /** The flags word without QR (RD is 1 << 8). Default: RD set. */
  readonly flags?: number;
  readonly edns?: boolean;
}

/** A query of one question, as a stub resolver sends it. */
export function query(name: string, type: RecordType = 'A', options: QueryOptions = {}): Buffer {
  const packet: Packet = {
    type: 'query',
    id: options.id ?? 0x4242,
    flags: options.flags ?? 1 << 8,
    questions: [{ name, type, class: 'IN' }],
    additionals: options.edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [],
  };
  return encode(packet);
}

/** A 12-byte header followed by `rest`: id, flags word, then QD/AN/NS/AR counts. */
export function rawMessage(header: { id: number; flags: number; qd: number; an?: number; ns?: number; ar?: number }, rest: Buffer = Buffer.alloc(0)): Buffer {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt16BE(header.id, 0);
  bytes.writeUInt16BE(header.flags, 2);
  bytes.writeUInt16BE(header.qd, 4);
  bytes.writeUInt16BE(header.an ?? 0, 6);
  bytes.writeUInt16BE(header.ns ?? 0, 8);
  bytes.writeUInt16BE(header.ar ?? 0, 10);
  return Buffer.concat([bytes, rest]);
}

/** A question section written label by label (a label may hold any byte, a dot included). */
export function rawQuestion(labels: readonly (string | Buffer)[], type = 1, klass = 1): Buffer {
  const parts = labels.map((label) => {
    const bytes = typeof label === 'string' ? Buffer.from(label, 'latin1') : label;
    return Buffer.concat([Buffer.from([bytes.length]), bytes]);
  });
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(type, 1);
  tail.writeUInt16BE(klass, 3);
  return Buffer.concat([...parts, tail]);
}

/** The reply decoded; fails the test (throws) when there is none. */
export function decoded(reply: Buffer | undefined): DecodedPacket {
  if (reply === undefined) throw new Error('expected a reply, got none');
  return decode(reply);
}

/** The rcode in the header's low 4 bits. */
export const rcodeOf = (reply: Buffer): number => reply.readUInt16BE(2) & 0xf;

/** mulberry32: a small seeded PRNG, so a fuzz failure can be replayed from its seed. */
export function prng(seed: number): { next(): number; int(maxExclusive: number): number; bytes(length: number): Buffer } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (maxExclusive: number): number => Math.floor(next() * maxExclusive);
  return {
    next,
    int,
    bytes: (length) => Buffer.from(Array.from({ length }, () => int(256))),
  };
}

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

/** A logger that keeps every call, with the entries of one level at hand. */
export function fakeLog() {
  const entries: LogEntry[] = [];
  const keep = (level: LogEntry['level']) => (fields: Record<string, unknown>, message: string): void => {
    entries.push({ level, fields, message });
  };
  return {
    entries,
    at: (level: LogEntry['level']): LogEntry[] => entries.filter((entry) => entry.level === level),
    debug: keep('debug'),
    info: keep('info'),
    warn: keep('warn'),
    error: keep('error'),
  };
}
