/**
 * Checks that need more than one field (unique addresses and names, one director or an HA pair, real servers on
 * real-server nodes, ...). They run on the raw YAML data, even when the schema found problems
 * elsewhere: each field is read through its own schema, and a field that is itself invalid is
 * skipped here (the schema already reported it).
 */
import type { ConfigProblem } from './types.js';
import { canonicalNet, cidrProblem, ipv4Problem, parseCidr } from './ipv4.js';
import { field, isMapping, list, own, problem, type PathSegment } from './problems.js';
import { NAME, MAX_SET_NAME, blocklistSchema, labSchema, nodeSchema, realServerSchema, virtualServerSchema } from './schema.js';
import { checkServices, type ServiceContext } from './service-checks.js';
import { checkHealth, checkQuorum, portChangeProblem, type NodeLookup } from './health-checks.js';
import { checkReserved } from './reserved-checks.js';
import { checkDirectors, checkHa } from './ha-checks.js';
import type { EntriesSource, EntriesSources } from './entries-file.js';
import { ProblemList } from './problem-budget.js';

interface RawNode {
  readonly name: string;
  readonly role: string | undefined;
  readonly ip: string | undefined;
  readonly address: string | undefined;
}

/**
 * `sources`: from loadLab, the blocklists whose entries it read from an entriesFile (their problems
 * name FILE:LINE); undefined from parseLab, which reads no file.
 */
export function crossChecks(data: unknown, sources?: EntriesSources): ProblemList {
  const out = new ProblemList();
  if (!isMapping(data)) return out;
  const nodesValue = own(data, 'nodes');
  const nodes = isMapping(nodesValue) ? readNodes(nodesValue) : undefined;
  if (nodes !== undefined) {
    checkNodeNames(nodes, out);
    checkDirectors(data, nodes, out);
    checkNodeAddresses(nodes, out);
  }
  checkVirtualServers(list(own(data, 'virtualServers')), nodes ?? [], out);
  checkBlocklists(list(own(data, 'blocklists')), field(labSchema.shape.prefix, data, 'prefix'), sources, out);
  checkServices(data, serviceContext(data, nodes ?? []), out);
  checkReserved(data, out);
  checkHa(data, nodes ?? [], out);
  return out;
}

function readNodes(nodes: Record<string, unknown>): RawNode[] {
  return Object.keys(nodes).map((name) => {
    const address = field(nodeSchema.shape.address, nodes[name], 'address');
    return { name, role: field(nodeSchema.shape.role, nodes[name], 'role'), address, ip: address && parseCidr(address)?.ip };
  });
}

/**
 * On the raw keys, not the schema's output: a zod record assigns each key to a new object, where a
 * "__proto__" key sets the prototype instead and vanishes (a director named so passed every check).
 */
function checkNodeNames(nodes: readonly RawNode[], out: ConfigProblem[]): void {
  for (const { name } of nodes) {
    if (!NAME.test(name)) out.push(problem(['nodes', name], name, `node name must match ${NAME.source} (lowercase letters, digits, '-')`));
  }
}

function checkNodeAddresses(nodes: readonly RawNode[], out: ConfigProblem[]): void {
  const first = new Map<string, RawNode>();
  for (const node of nodes) {
    if (node.ip === undefined) continue;
    const earlier = first.get(node.ip);
    if (earlier === undefined) first.set(node.ip, node);
    else {
      const reason = `duplicate node address: node "${earlier.name}" already has IP ${node.ip} (${earlier.address ?? ''})`;
      out.push(problem(['nodes', node.name, 'address'], node.address, reason));
    }
  }
}

/** Node facts the virtual server checks need, looked up by name and by IP. */
interface NodeIndex extends NodeLookup {
  readonly byName: ReadonlyMap<string, RawNode>;
  readonly byIp: ReadonlyMap<string, string>;
}

const MAX_LISTED = 12;

function indexNodes(nodes: readonly RawNode[]): NodeIndex {
  const byIp = new Map<string, string>();
  for (const n of nodes) if (n.ip !== undefined && !byIp.has(n.ip)) byIp.set(n.ip, n.name);
  const known = nodes.filter((n) => NAME.test(n.name)).map((n) => n.name);
  const more = known.length > MAX_LISTED ? `, … (${known.length - MAX_LISTED} more)` : '';
  const knownText = known.length === 0 ? 'no nodes are defined' : `known nodes: ${known.slice(0, MAX_LISTED).join(', ')}${more}`;
  return { byName: new Map(nodes.map((n) => [n.name, n])), byIp, knownText };
}

function checkVirtualServers(servers: readonly unknown[], nodes: readonly RawNode[], out: ConfigProblem[]): void {
  const index = indexNodes(nodes);
  const names = new Map<string, number>();
  const endpoints = new Map<string, number>();
  const shape = virtualServerSchema.shape;
  servers.forEach((vs, i) => {
    const at = (...rest: PathSegment[]): PathSegment[] => ['virtualServers', i, ...rest];
    const name = field(shape.name, vs, 'name');
    const vip = field(shape.vip, vs, 'vip');
    const port = field(shape.port, vs, 'port');
    const protocol = field(shape.protocol, vs, 'protocol');
    if (name !== undefined) {
      const earlier = names.get(name);
      if (earlier === undefined) names.set(name, i);
      else out.push(problem(at('name'), name, `duplicate virtual server name: virtualServers[${earlier}] is already named "${name}"`));
    }
    const owner = vip === undefined ? undefined : index.byIp.get(vip);
    if (owner !== undefined) {
      out.push(problem(at('vip'), vip, `VIP is the address of node "${owner}"; a VIP must not be a node address`));
    }
    if (vip !== undefined && port !== undefined && protocol !== undefined) {
      const endpoint = `${protocol} ${vip}:${port}`;
      const earlier = endpoints.get(endpoint);
      if (earlier === undefined) endpoints.set(endpoint, i);
      else out.push(problem(at(), endpoint, `duplicate virtual server: virtualServers[${earlier}] already serves ${endpoint}`));
    }
    const forwarding = field(shape.forwarding, vs, 'forwarding');
    if ((forwarding === 'dr' || forwarding === 'tun') && own(vs, 'snat') === true) {
      out.push(problem(at('snat'), true, `snat applies to forwarding nat only: with ${forwarding} the real server answers the client directly, so no reply crosses the director to be un-SNATed`));
    }
    checkRealServers(vs, index, port, forwarding, at, out);
    checkHealth(vs, protocol, at, out);
    checkQuorum(vs, index, port, forwarding, at, out);
  });
}

function checkRealServers(
  vs: unknown,
  index: NodeIndex,
  vsPort: number | undefined,
  forwarding: string | undefined,
  at: (...rest: PathSegment[]) => PathSegment[],
  out: ConfigProblem[],
): void {
  const seen = new Map<string, number>();
  list(own(vs, 'realServers')).forEach((rs, j) => {
    const node = field(realServerSchema.shape.node, rs, 'node');
    const port = field(realServerSchema.shape.port, rs, 'port');
    if (node !== undefined) {
      const target = index.byName.get(node);
      if (target === undefined) {
        out.push(problem(at('realServers', j, 'node'), node, `unknown node "${node}"; ${index.knownText}`));
      } else if (target.role !== undefined && target.role !== 'real-server') {
        const reason = `node "${node}" has role ${target.role}; a real server must be a node with role real-server`;
        out.push(problem(at('realServers', j, 'node'), node, reason));
      }
    }
    if (node !== undefined && port !== undefined) {
      const key = `${node}:${port}`;
      const earlier = seen.get(key);
      if (earlier === undefined) seen.set(key, j);
      else out.push(problem(at('realServers', j), key, `duplicate real server: realServers[${earlier}] is already ${key}`));
    }
    const portReason = portChangeProblem(forwarding, port, vsPort, 'a real server');
    if (portReason !== undefined) out.push(problem(at('realServers', j, 'port'), port, portReason));
  });
}

function checkBlocklists(blocklists: readonly unknown[], prefix: string | undefined, sources: EntriesSources | undefined, out: ConfigProblem[]): void {
  const names = new Map<string, number>();
  const shape = blocklistSchema.shape;
  blocklists.forEach((bl, i) => {
    const name = field(shape.name, bl, 'name');
    if (name !== undefined) {
      const earlier = names.get(name);
      if (earlier === undefined) names.set(name, i);
      else out.push(problem(['blocklists', i, 'name'], name, `duplicate blocklist name: blocklists[${earlier}] is already named "${name}"`));
      if (prefix !== undefined && prefix.length + name.length > MAX_SET_NAME) {
        const set = prefix + name;
        const reason =
          `the ipset set is named prefix + name ("${set}", ${set.length} characters) and must be at most ${MAX_SET_NAME}: ` +
          `with prefix "${prefix}" the name can have at most ${MAX_SET_NAME - prefix.length} characters`;
        out.push(problem(['blocklists', i, 'name'], name, reason));
      }
    }
    if (own(bl, 'port') !== undefined && own(bl, 'protocol') === undefined) {
      out.push(problem(['blocklists', i, 'port'], own(bl, 'port'), 'port requires protocol (tcp or udp)'));
    }
    checkEntriesOrFile(bl, i, sources, out);
    checkEntries(bl, field(shape.type, bl, 'type'), i, sources?.get(i), out);
  });
}

/** A blocklist has entries or entriesFile, one of them; an entriesFile is only read by loadLab (which reports its own read problems). */
function checkEntriesOrFile(bl: unknown, i: number, sources: EntriesSources | undefined, out: ConfigProblem[]): void {
  if (!isMapping(bl)) return;
  const read = sources?.has(i) ?? false;
  const file = own(bl, 'entriesFile');
  const hasEntries = own(bl, 'entries') !== undefined;
  if (file !== undefined && hasEntries) {
    const reason = 'a blocklist takes entries or entriesFile, not both: keep the list in one place (the file, or entries in the lab)';
    out.push(problem(['blocklists', i, 'entriesFile'], file, reason));
  } else if (file === undefined && !hasEntries && !read) {
    out.push(problem(['blocklists', i, 'entries'], undefined, 'required: a list of addresses (entries), or a file of them (entriesFile)'));
  } else if (typeof file === 'string' && file !== '' && sources === undefined) {
    out.push(problem(['blocklists', i, 'entriesFile'], file, 'entries files are read when the lab is loaded from a file (loadLab), not from text alone'));
  }
}

/**
 * Entries compare as ipset holds them (canonicalNet): 10.0.0.1/32 is 10.0.0.1, 10.1.2.3/8 is 10.0.0.0/8.
 * Entries read from a file are reported under entriesFile, each reason starting with FILE:LINE.
 */
function checkEntries(bl: unknown, type: string | undefined, i: number, source: EntriesSource | undefined, out: ConfigProblem[]): void {
  const seen = new Map<string, { readonly k: number; readonly entry: string }>();
  const where = (k: number): string => (source === undefined ? `entries[${k}]` : `${source.file}:${source.lines[k] ?? '?'}`);
  const report = (k: number, entry: string, reason: string): void => {
    if (source === undefined) out.push(problem(['blocklists', i, 'entries', k], entry, reason));
    else out.push(problem(['blocklists', i, 'entriesFile'], entry, `${where(k)}: ${reason}`));
  };
  list(own(bl, 'entries')).forEach((entry, k) => {
    if (typeof entry !== 'string') return;
    const reason = entryProblem(entry, type);
    if (reason !== undefined) report(k, entry, reason);
    const held = canonicalNet(entry) ?? entry;
    const earlier = seen.get(held);
    if (earlier === undefined) seen.set(held, { k, entry });
    else {
      const as = held === entry && held === earlier.entry ? '' : `; ipset holds both as ${held}`;
      report(k, entry, `duplicate of ${where(earlier.k)} (${earlier.entry})${as}`);
    }
  });
}

/** hash:ip takes single addresses; hash:net takes addresses or networks (ipset refuses /0 there). */
function entryProblem(entry: string, type: string | undefined): string | undefined {
  if (!entry.includes('/')) {
    const reason = ipv4Problem(entry);
    return reason === undefined ? undefined : `not an IPv4 address: ${reason}`;
  }
  if (type === 'hash:ip') return 'a hash:ip blocklist takes single IPv4 addresses; use type hash:net for networks';
  const reason = cidrProblem(entry);
  if (reason !== undefined) return `not an IPv4 address or CIDR: ${reason}`;
  return parseCidr(entry)?.prefixLength === 0 ? 'hash:net cannot hold a /0 network; use prefix lengths 1 to 32' : undefined;
}

function serviceContext(data: unknown, nodes: readonly RawNode[]): ServiceContext {
  const vips = list(own(data, 'virtualServers')).map((vs) => field(virtualServerSchema.shape.vip, vs, 'vip'));
  const nodeByIp = new Map<string, string>();
  for (const n of nodes) if (n.ip !== undefined && !nodeByIp.has(n.ip)) nodeByIp.set(n.ip, n.name);
  return {
    nodes: new Map(nodes.map((n) => [n.name, { role: n.role, ip: n.ip }])),
    nodeByIp,
    knownNodes: indexNodes(nodes).knownText,
    vips: new Set(vips.filter((v) => v !== undefined)),
    prefix: field(labSchema.shape.prefix, data, 'prefix'),
  };
}
