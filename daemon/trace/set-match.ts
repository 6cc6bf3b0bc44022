/**
 * Which entry of an ipset a packet matched with `-m set --match-set NAME FLAGS`. Each dimension of the
 * set's type (hash:ip,port → ip, port) is looked up in the packet's source or destination, as the
 * flags say. Pure; IPv4 nets by containment, IPv6 by exact address only.
 */
import type { Protocol } from '../config/types.js';
import type { IpSet } from '../kernel/types.js';

export interface PacketFields {
  readonly protocol: Protocol;
  readonly src?: string;
  readonly dst: string;
  readonly sport?: number;
  readonly dport: number;
}

export interface SetLookup {
  /** The element looked up, as ipset prints one ("10.108.113.237,tcp:80", "30080"); absent when a field is unknown. */
  readonly element?: string;
  /** The entry that holds it, as `ipset save` printed it. */
  readonly entry?: string;
}

const ipv4 = (text: string): number | undefined => {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
};

/** "10.0.0.0/8", "10.0.0.1-10.0.0.9" or an address, holding `address`? */
export function holdsAddress(part: string, address: string): boolean {
  const a = ipv4(address);
  const [low = '', high] = part.split('-');
  const [net = '', bits] = low.split('/');
  if (a === undefined || ipv4(net) === undefined) return part === address;
  const start = ipv4(net) ?? 0;
  if (high !== undefined) return a >= start && a <= (ipv4(high) ?? -1);
  const size = 2 ** (32 - Number(bits ?? 32));
  return a >= start - (start % size) && a < start - (start % size) + size;
}

/** "tcp:80", "80", "tcp:80-90" holding protocol/port? */
function holdsPort(part: string, protocol: Protocol, port: number): boolean {
  const colon = part.indexOf(':');
  const proto = colon < 0 ? undefined : part.slice(0, colon);
  const [low = '', high] = part.slice(colon + 1).split('-');
  return (proto === undefined || proto === protocol) && port >= Number(low) && port <= Number(high ?? low);
}

interface Dimension { readonly kind: 'addr' | 'port'; readonly value: string | number | undefined }

function dimensions(set: IpSet, flags: string, p: PacketFields): Dimension[] | undefined {
  const kinds = (set.type.split(':')[1] ?? '').split(',');
  const sides = flags.split(',');
  const out: Dimension[] = [];
  for (const [i, kind] of kinds.entries()) {
    const src = (sides[i] ?? sides.at(-1)) === 'src';
    if (kind === 'ip' || kind === 'net') out.push({ kind: 'addr', value: src ? p.src : p.dst });
    else if (kind === 'port') out.push({ kind: 'port', value: src ? p.sport : p.dport });
    else return undefined; // mac, iface, mark: not looked up
  }
  return out;
}

export function lookUpSet(set: IpSet, flags: string, packet: PacketFields): SetLookup {
  const dims = dimensions(set, flags, packet);
  if (dims === undefined || dims.some((d) => d.value === undefined)) return {};
  const bitmapPort = set.type === 'bitmap:port';
  const element = dims.map((d) => (d.kind === 'port' && !bitmapPort ? `${packet.protocol}:${d.value}` : String(d.value))).join(',');
  const entry = set.entries.find((e) => {
    const parts = (e.split(' ')[0] ?? '').split(',');
    return parts.length === dims.length && dims.every((d, i) => {
      const part = parts[i] ?? '';
      return d.kind === 'addr' ? holdsAddress(part, String(d.value)) : holdsPort(part, packet.protocol, Number(d.value));
    });
  });
  return entry === undefined ? { element } : { element, entry };
}
