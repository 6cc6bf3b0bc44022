/** `ip -j [-d] addr show` / `ip -j route show` JSON → links, addresses, routes. Pure. */
import type { SeenRoute } from '../ownership.js';
import type { Address, Link } from '../types.js';

interface JsonAddrInfo { readonly family?: string; readonly local?: string; readonly prefixlen?: number }
interface JsonLink {
  readonly ifname?: string; readonly flags?: string[]; readonly operstate?: string; readonly addr_info?: JsonAddrInfo[];
  readonly link_type?: string; readonly linkinfo?: { readonly info_kind?: string };
}
interface JsonRoute { readonly dst?: string; readonly gateway?: string; readonly protocol?: string }

/** The tool's JSON, as text or already parsed; empty output means an empty list. */
function asArray<T>(json: unknown, what: string): T[] {
  const value: unknown = typeof json === 'string' ? (json.trim() === '' ? [] : JSON.parse(json)) : json;
  if (!Array.isArray(value)) throw new Error(`ip -j ${what}: expected a JSON array`);
  return value as T[];
}

/** The named link from `ip -j addr show` (or `ip -j link show`). Up means administratively up (flag UP). */
export function parseLinks(json: unknown, name: string): Link | undefined {
  const link = asArray<JsonLink>(json, 'addr show').find((l) => l.ifname === name);
  if (link === undefined) return undefined;
  // A dummy link that is up reports operstate UNKNOWN: the UP flag is what says "set up".
  return { name, up: (link.flags ?? []).includes('UP') || link.operstate === 'UP' };
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
