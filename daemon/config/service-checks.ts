/**
 * Cross-field checks of kube-proxy-style services: unique names and cluster IPs, node ports inside
 * the lab's range and unique per protocol, endpoints on real-server nodes, and a prefix short enough
 * for kube-proxy's longest set and chain names. Like checks.ts they read the raw YAML data and skip
 * fields that are themselves invalid (the schema reported those).
 */
import type { ConfigProblem } from './types.js';
import { field, list, own, problem, type PathSegment } from './problems.js';
import { endpointSchema, parsePortRange, serviceModeShape, serviceSchema } from './service-schema.js';

/** What the service checks need to know of the nodes and virtual servers. */
export interface ServiceContext {
  readonly nodes: ReadonlyMap<string, { readonly role: string | undefined; readonly ip: string | undefined }>;
  readonly knownNodes: string;
  /** The first node of each address (a map, not a scan per service: labs have thousands of services). */
  readonly nodeByIp: ReadonlyMap<string, string>;
  readonly vips: ReadonlySet<string>;
  readonly prefix: string | undefined;
}

/** kube-proxy's longest names: prefix + this must fit ipset's 31 characters and iptables' 28. */
const LONGEST_SET = 'LOAD-BALANCER-SOURCE-CIDR';
const LONGEST_CHAIN = 'SOURCE-RANGES-FIREWALL';
export const MAX_SERVICE_PREFIX = Math.min(31 - LONGEST_SET.length, 28 - LONGEST_CHAIN.length);

export function checkServices(data: unknown, ctx: ServiceContext, out: ConfigProblem[]): void {
  const services = list(own(data, 'services'));
  if (services.length === 0) return;
  if (ctx.prefix !== undefined && ctx.prefix.length > MAX_SERVICE_PREFIX) {
    const reason =
      `with services, the prefix must be at most ${MAX_SERVICE_PREFIX} characters (like KUBE-): ` +
      `kube-proxy's longest names, prefix + ${LONGEST_SET} (an ipset, at most 31) and prefix + ${LONGEST_CHAIN} (a chain, at most 28), must fit`;
    out.push(problem(['prefix'], ctx.prefix, reason));
  }
  const rangeText = field(serviceModeShape.nodePortRange, data, 'nodePortRange');
  const range = rangeText === undefined ? undefined : parsePortRange(rangeText);
  const names = new Map<string, number>();
  const clusterIPs = new Map<string, number>();
  const nodePorts = new Map<string, number>();
  const shape = serviceSchema.shape;
  services.forEach((svc, i) => {
    const at = (...rest: PathSegment[]): PathSegment[] => ['services', i, ...rest];
    const name = field(shape.name, svc, 'name');
    const namespace = field(shape.namespace, svc, 'namespace');
    if (name !== undefined && namespace !== undefined) {
      firstOf(names, `${namespace}/${name}`, i, (j) => out.push(problem(at('name'), name, `duplicate service: services[${j}] is already ${namespace}/${name}`)));
    }
    const clusterIP = field(shape.clusterIP, svc, 'clusterIP');
    if (clusterIP !== undefined) {
      firstOf(clusterIPs, clusterIP, i, (j) => out.push(problem(at('clusterIP'), clusterIP, `duplicate cluster IP: services[${j}] already has ${clusterIP}`)));
      const owner = ctx.nodeByIp.get(clusterIP);
      if (owner !== undefined) out.push(problem(at('clusterIP'), clusterIP, `cluster IP is the address of node "${owner}"; a cluster IP must not be a node address`));
      if (ctx.vips.has(clusterIP)) out.push(problem(at('clusterIP'), clusterIP, 'cluster IP is the VIP of a virtual server; give the service its own address'));
    }
    const type = field(shape.type, svc, 'type');
    const protocol = field(shape.protocol, svc, 'protocol');
    const nodePort = own(svc, 'nodePort') === undefined ? undefined : field(shape.nodePort, svc, 'nodePort');
    if (type === 'NodePort' && own(svc, 'nodePort') === undefined) {
      out.push(problem(at('nodePort'), undefined, `required: a NodePort service needs a nodePort (the lab's range is ${rangeText ?? '30000-32767'})`));
    }
    if (type === 'ClusterIP' && own(svc, 'nodePort') !== undefined) {
      out.push(problem(at('nodePort'), own(svc, 'nodePort'), 'nodePort is only for type NodePort; this service is ClusterIP'));
    }
    if (type === 'NodePort' && nodePort !== undefined) {
      if (range !== undefined && typeof range !== 'string' && (nodePort < range.min || nodePort > range.max)) {
        out.push(problem(at('nodePort'), nodePort, `node port ${nodePort} is outside the lab's nodePortRange ${range.min}-${range.max}`));
      }
      if (protocol !== undefined) {
        firstOf(nodePorts, `${protocol}/${nodePort}`, i, (j) =>
          out.push(problem(at('nodePort'), nodePort, `duplicate node port: services[${j}] already uses ${protocol} ${nodePort}`)));
      }
    }
    if (own(svc, 'sessionAffinityTimeout') !== undefined && field(shape.sessionAffinity, svc, 'sessionAffinity') !== 'ClientIP') {
      out.push(problem(at('sessionAffinityTimeout'), own(svc, 'sessionAffinityTimeout'), 'sessionAffinityTimeout needs sessionAffinity: ClientIP'));
    }
    checkEndpoints(svc, ctx, at, out);
  });
}

function checkEndpoints(svc: unknown, ctx: ServiceContext, at: (...rest: PathSegment[]) => PathSegment[], out: ConfigProblem[]): void {
  const seen = new Map<string, number>();
  const targetPort = field(serviceSchema.shape.targetPort, svc, 'targetPort') ?? field(serviceSchema.shape.port, svc, 'port');
  list(own(svc, 'endpoints')).forEach((ep, j) => {
    const node = field(endpointSchema.shape.node, ep, 'node');
    if (node === undefined) return;
    const target = ctx.nodes.get(node);
    if (target === undefined) out.push(problem(at('endpoints', j, 'node'), node, `unknown node "${node}"; ${ctx.knownNodes}`));
    else if (target.role !== undefined && target.role !== 'real-server') {
      out.push(problem(at('endpoints', j, 'node'), node, `node "${node}" has role ${target.role}; an endpoint must be a node with role real-server`));
    }
    const port = field(endpointSchema.shape.port, ep, 'port') ?? targetPort;
    if (port !== undefined) {
      firstOf(seen, `${node}:${port}`, j, (k) => out.push(problem(at('endpoints', j), `${node}:${port}`, `duplicate endpoint: endpoints[${k}] is already ${node}:${port}`)));
    }
  });
}

/** Remember the first index of `key`; call `duplicate` with it when `key` comes again. */
function firstOf(seen: Map<string, number>, key: string, index: number, duplicate: (first: number) => void): void {
  const first = seen.get(key);
  if (first === undefined) seen.set(key, index);
  else duplicate(first);
}
