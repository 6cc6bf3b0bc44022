/** `ip -j [-d] addr show` / `ip -j route show` JSON → links, addresses, routes. Pure. */
import type { SeenRoute } from '../ownership.js';
import type { Address, Link } from '../types.js';

interface JsonAddrInfo { readonly family?: string; readonly local?: string; readonly prefixlen?: number }
interface JsonLink {
  readonly ifname?: string; readonly flags?: string[]; readonly operstate?: string; readonly addr_info?: JsonAddrInfo[]; readonly mtu?: number;
  readonly link_type?: string; readonly linkinfo?: { readonly info_kind?: string; readonly info_data?: { readonly local?: string } };
}
interface JsonRoute { readonly dst?: string; readonly gateway?: string; readonly protocol?: string }

/** The tool's JSON, as text or already parsed; empty output means an empty list. */
function asArray<T>(json: unknown, what: string): T[] {
  const value: unknown = typeof json === 'string' ? (json.trim() === '' ? [] : JSON.parse(json)) : json;
  if (!Array.isArray(value)) throw new Error(`ip -j ${what}: expected a JSON array`);
  return value as T[];
}

/**
 * The named link from `ip -j addr show` (or `ip -j link show`). Up means administratively up (flag UP).
 * With `-d`, an ipip device bound to a local address carries it (`ipipLocal`; "any" is no binding).
 */
export function parseLinks(json: unknown, name: string): Link | undefined {
  const link = asArray<JsonLink>(json, 'addr show').find((l) => l.ifname === name);
  if (link === undefined) return undefined;
  const local = link.linkinfo?.info_kind === 'ipip' ? link.linkinfo.info_data?.local : undefined;
  // A dummy link that is up reports operstate UNKNOWN: the UP flag is what says "set up".
  return { name, up: (link.flags ?? []).includes('UP') || link.operstate === 'UP', ...(local !== undefined && local !== 'any' ? { ipipLocal: local } : {}) };
}

/** The IPv4 addresses of `dev` from `ip -j addr show`, as "local/prefixlen". */
export function parseAddresses(json: unknown, dev: string): Address[] {
  const link = asArray<JsonLink>(json, 'addr show').find((l) => l.ifname === dev);
  return (link?.addr_info ?? [])
    .filter((a) => a.family === 'inet' && a.local !== undefined && a.prefixlen !== undefined)
    .map((a) => ({ dev, cidr: `${a.local}/${a.prefixlen}` }));
}

/**
 * The named link's kind from `ip -j -d addr show` (or `-d link show`): the driver kind ("dummy",
 * "veth", "bridge", …), else the link type ("loopback"; "ether" for a physical device).
 */
export function parseLinkKind(json: unknown, name: string): string | undefined {
  const link = asArray<JsonLink>(json, 'addr show').find((l) => l.ifname === name);
  return link === undefined ? undefined : (link.linkinfo?.info_kind ?? link.link_type ?? 'unknown');
}

/** Every device of `ip -j -d addr show`: its kind, whether it is up, its MTU, its ipip binding and IPv4 addresses. */
export interface Device extends Link {
  readonly kind: string;
  readonly mtu?: number;
  /** Its IPv4 addresses, without prefix length. */
  readonly ipv4: readonly string[];
}

export function parseDevices(json: unknown): Device[] {
  return asArray<JsonLink>(json, 'addr show').flatMap((l) => {
    const name = l.ifname;
    if (name === undefined) return [];
    const link = parseLinks([l], name)!;
    const ipv4 = (l.addr_info ?? []).flatMap((a) => (a.family === 'inet' && a.local !== undefined ? [a.local] : []));
    return [{ ...link, kind: parseLinkKind([l], name) ?? 'unknown', ...(l.mtu === undefined ? {} : { mtu: l.mtu }), ipv4 }];
  });
}

/** Packets a device received, from `ip -s -j link show dev DEV` (its stats64, else stats); undefined when not listed. */
export function parseRxPackets(json: unknown, dev: string): number | undefined {
  type Stats = { readonly rx?: { readonly packets?: number } };
  const link = asArray<JsonLink & { stats64?: Stats; stats?: Stats }>(json, 'link show').find((l) => l.ifname === dev);
  return link?.stats64?.rx?.packets ?? link?.stats?.rx?.packets;
}

/** A route's destination with its length: a host route prints without "/32", the default route as "default". */
export const normalizeDst = (dst: string): string => (dst === 'default' ? '0.0.0.0/0' : dst.includes('/') ? dst : `${dst}/32`);

/**
 * Routes from `ip -j route show ...` with their protocol; ip leaves out "boot" (the default of
 * `ip route add`) and prints protocol 241, which has no name, as "241".
 */
export function parseRoutes(json: unknown): SeenRoute[] {
  return asArray<JsonRoute>(json, 'route show').flatMap((r) =>
    r.dst === undefined ? [] : [{ dst: normalizeDst(r.dst), ...(r.gateway === undefined ? {} : { via: r.gateway }), protocol: r.protocol ?? 'boot' }],
  );
}
