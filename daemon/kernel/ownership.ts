/**
 * What on a node is lvslab's: an object is owned only when its exact identity key is one lvslab's plan
 * names (what this run wants, or what the lab would make, for `cleanup`) or one the ledger recorded
 * when lvslab created it (ledger.ts). Never by a shared address, a route protocol or a name prefix
 * alone. Two kinds are stricter: a route is lvslab's only with its protocol (241) as well — someone
 * else's static route to a planned destination is reported as a conflict and left alone — and the
 * interface only when it is a dummy (or ipip device) the ledger says lvslab created: any other link
 * with that name (eth0, lo, a veth, a dummy someone else made) is refused and the node is not touched. Pure.
 */
import type { Change } from './changes.js';
import { tempSetName } from './ipset/render.js';
import {
  chainKey, jumpKey, LVSLAB_ROUTE_PROTO, virtualServiceKey,
  type Address, type IpvsTimeouts, type KernelState, type Link, type Route,
} from './types.js';

const HOST_TIMEOUTS = 'host-ipvs-timeouts:';
const HOST_TIMEOUTS_KEY = /^host-ipvs-timeouts:(\d+),(\d+),(\d+)$/;

/** The ledger's keys, one per kind of object ("ipvs:tcp:10.10.0.1:80", "route:10.10.0.1/32", …). */
export const ownedKey = {
  link: (name: string) => `link:${name}`,
  route: (r: Pick<Route, 'dst'>) => `route:${r.dst}`,
  ipset: (name: string) => `ipset:${name}`,
  chain: (c: Parameters<typeof chainKey>[0]) => `chain:${chainKey(c)}`,
  jump: (j: Parameters<typeof jumpKey>[0]) => `jump:${jumpKey(j)}`,
  ipvs: (s: Parameters<typeof virtualServiceKey>[0]) => `ipvs:${virtualServiceKey(s)}`,
  /**
   * Not an object but the node's own IPVS timeouts, recorded when lvslab takes charge of them (the first
   * observation of a plan that names them) and written back when the lab stops naming them.
   */
  hostIpvsTimeouts: (t: IpvsTimeouts) => `${HOST_TIMEOUTS}${t.tcp},${t.tcpFin},${t.udp}`,
};

/** The ledger's record of the node's own IPVS timeouts, and its key (undefined: none recorded). */
export function hostIpvsTimeoutsOf(recorded: ReadonlySet<string>): { readonly key: string; readonly timeouts: IpvsTimeouts } | undefined {
  for (const key of recorded) {
    const m = HOST_TIMEOUTS_KEY.exec(key);
    if (m !== null) return { key, timeouts: { tcp: Number(m[1]), tcpFin: Number(m[2]), udp: Number(m[3]) } };
  }
  return undefined;
}

/** The keys of every object in a state (addresses are not keyed: they belong to the owned link). */
export function ownedKeys(s: Omit<KernelState, 'sysctls' | 'addresses'>): string[] {
  return [
    ...s.links.map((l) => ownedKey.link(l.name)),
    ...s.routes.map(ownedKey.route),
    ...s.ipsets.map((set) => ownedKey.ipset(set.name)),
    ...s.chains.map(ownedKey.chain),
    ...s.jumps.map(ownedKey.jump),
    ...s.ipvs.map(ownedKey.ipvs),
  ];
}

/**
 * The keys a change list creates (recorded before it runs) and the keys to forget once it ran: those
 * it deletes, except a key it also creates (a route replaced with another gateway). An ipset update
 * makes and destroys a temporary set in one batch: recorded before, forgotten after, so a crash in
 * between leaves no orphan.
 */
export function changeKeys(changes: readonly Change[]): { created: string[]; forgotten: string[] } {
  const created: string[] = [];
  const deleted: string[] = [];
  const temporary: string[] = [];
  for (const c of changes) {
    switch (c.kind) {
      case 'link-add': case 'link-replace': created.push(ownedKey.link(c.link.name)); break;
      case 'link-del': deleted.push(ownedKey.link(c.link.name)); break;
      case 'route-add': created.push(ownedKey.route(c.route)); break;
      case 'route-del': deleted.push(ownedKey.route(c.route)); break;
      case 'ipset-create': created.push(ownedKey.ipset(c.set.name)); break;
      case 'ipset-destroy': deleted.push(ownedKey.ipset(c.set.name)); break;
      case 'ipset-update': temporary.push(ownedKey.ipset(tempSetName(c.set.name))); break;
      case 'chain-write': created.push(ownedKey.chain(c.chain)); break;
      case 'chain-delete': deleted.push(ownedKey.chain(c.chain)); break;
      case 'jump-add': created.push(ownedKey.jump(c.jump)); break;
      case 'jump-del': deleted.push(ownedKey.jump(c.jump)); break;
      case 'vs-add': created.push(ownedKey.ipvs(c.service)); break;
      case 'vs-del': deleted.push(ownedKey.ipvs(c.service)); break;
      // the node's own timeouts written back: their record goes once they are (recorded by observe, not here)
      case 'ipvs-timeouts-set': if (c.restore) deleted.push(ownedKey.hostIpvsTimeouts(c.timeouts)); break;
      default: break;
    }
  }
  const kept = new Set(created);
  return { created: [...created, ...temporary], forgotten: [...deleted.filter((k) => !kept.has(k)), ...temporary] };
}

/** An object at a key the plan wants that is someone else's: data, until printed by describeConflict. */
export type Conflict =
  /** A route to a planned destination made by another protocol (static, boot, a routing daemon): left alone. */
  | { readonly kind: 'route'; readonly dst: string; readonly via?: string; readonly protocol: string; readonly wanted: Route }
  /** A link with the interface's name that lvslab did not make: nothing on the node is touched. */
  | { readonly kind: 'link'; readonly name: string; readonly linkKind: string };

export function describeConflict(c: Conflict): string {
  if (c.kind === 'link') {
    const a = /^[aeiou]/.test(c.linkKind) ? 'an' : 'a';
    const what = OWNABLE_KINDS.has(c.linkKind) ? `${a} ${c.linkKind} link lvslab did not create (its ledger has no record of it)` : `${a} ${c.linkKind} link, not one lvslab created`;
    return `interface ${c.name} exists and is ${what}: refusing to touch the node (choose another \`interface:\` name, or delete the link if it is a leftover)`;
  }
  const theirs = `${c.dst}${c.via === undefined ? '' : ` via ${c.via}`} proto ${c.protocol}`;
  return `route ${theirs} is not lvslab's (protocol ${LVSLAB_ROUTE_PROTO}): left alone, so ${c.wanted.dst} via ${c.wanted.via} is not installed`;
}

/** A route as `ip -j route show` lists it, with its protocol ("241", "static", "boot", "kernel", …). */
export interface SeenRoute {
  readonly dst: string;
  readonly via?: string;
  readonly protocol: string;
}

/** The kinds of link lvslab makes (the VIP holder: a dummy, or an ipip device on a TUN real server). */
const OWNABLE_KINDS: ReadonlySet<string> = new Set(['dummy', 'ipip']);

/** Everything observe read that ownership is decided on. */
export interface Seen {
  /** The link with the interface's name, if any, with its kind ("dummy", "veth", "loopback", …). */
  readonly link?: Link & { readonly kind: string };
  /** That link's addresses. */
  readonly addresses: readonly Address[];
  /** Every route of the main table. */
  readonly routes: readonly SeenRoute[];
  readonly ipsets: KernelState['ipsets'];
  readonly chains: KernelState['chains'];
  readonly jumps: KernelState['jumps'];
  readonly ipvs: KernelState['ipvs'];
}

export type OwnedState = Omit<KernelState, 'sysctls' | 'ipvsTimeouts'>;

/**
 * The owned part of what was seen, and the conflicts with what `desired` wants. `recorded` is the
 * ledger; `claim` adds the keys the plan names.
 */
export function claimOwned(
  seen: Seen, recorded: ReadonlySet<string>, claim: ReadonlySet<string>, desired: Pick<KernelState, 'links' | 'routes'>,
): { owned: OwnedState; conflicts: Conflict[] } {
  const conflicts: Conflict[] = [];
  const link = seen.link;
  const ownLink = link !== undefined && OWNABLE_KINDS.has(link.kind) && recorded.has(ownedKey.link(link.name));
  if (link !== undefined && !ownLink && desired.links.some((l) => l.name === link.name)) {
    conflicts.push({ kind: 'link', name: link.name, linkKind: link.kind });
  }
  const ours = String(LVSLAB_ROUTE_PROTO);
  // others' routes by destination, so that a client's 10,000 wanted routes cost one lookup each
  const othersByDst = new Map<string, SeenRoute[]>();
  for (const r of seen.routes) {
    if (r.protocol === ours) continue;
    const same = othersByDst.get(r.dst);
    if (same === undefined) othersByDst.set(r.dst, [r]);
    else same.push(r);
  }
  for (const wanted of desired.routes) {
    for (const r of othersByDst.get(wanted.dst) ?? []) {
      conflicts.push({ kind: 'route', dst: r.dst, ...(r.via === undefined ? {} : { via: r.via }), protocol: r.protocol, wanted });
    }
  }
  const routes = seen.routes.flatMap((r) =>
    r.protocol === ours && r.via !== undefined && claim.has(ownedKey.route(r)) ? [{ dst: r.dst, via: r.via }] : [],
  );
  return {
    owned: {
      links: ownLink ? [{ name: link.name, up: link.up, ...(link.ipipLocal === undefined ? {} : { ipipLocal: link.ipipLocal }) }] : [],
      addresses: ownLink ? [...seen.addresses] : [],
      routes,
      ipsets: seen.ipsets.filter((s) => claim.has(ownedKey.ipset(s.name))),
      chains: seen.chains.filter((c) => claim.has(ownedKey.chain(c))),
      jumps: seen.jumps.filter((j) => claim.has(ownedKey.jump(j))),
      ipvs: seen.ipvs.filter((s) => claim.has(ownedKey.ipvs(s))),
    },
    conflicts,
  };
}

/** The plan without what a conflict keeps lvslab from making (the routes someone else holds). */
export function withoutConflicts<S extends Pick<KernelState, 'routes'>>(desired: S, conflicts: readonly Conflict[]): S {
  const taken = new Set(conflicts.flatMap((c) => (c.kind === 'route' ? [c.wanted.dst] : [])));
  return taken.size === 0 ? desired : { ...desired, routes: desired.routes.filter((r) => !taken.has(r.dst)) };
}
