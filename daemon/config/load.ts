/**
 * Loading a lab file: read (size-capped), parse the YAML, check it against the schema and the
 * cross-field rules, and either return the LabConfig or every problem found.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { parseListen } from './listen.js';
import type { BlocklistConfig, ServiceConfig, ServiceMode, ConfigProblem, HealthCheckConfig, IpvsTimeoutsConfig, LabConfig, NodeConfig, VirtualServerConfig } from './types.js';
import { canonicalNet, parseCidr } from './ipv4.js';
import { crossChecks } from './checks.js';
import { dedupe, formatProblems, problem, zodProblems } from './problems.js';
import { labSchema, type LabInput } from './schema.js';
import { HEALTH_DEFAULTS } from './health-schema.js';
import { DEFAULT_AFFINITY_TIMEOUT, parsePortRange } from './service-schema.js';
import { readYaml } from './yaml.js';

export { formatProblems };

export type LoadResult = { readonly ok: true; readonly lab: LabConfig } | { readonly ok: false; readonly problems: ConfigProblem[] };

/** Lab files larger than this are refused before parsing. */
export const MAX_LAB_BYTES = 1024 * 1024;

const FILE_PATH = '(file)';

function tooBig(bytes: number, unit: string): LoadResult {
  const reason = `the lab file is ${bytes} ${unit}; lab files are limited to ${MAX_LAB_BYTES} bytes (1 MiB), refusing to parse it`;
  return { ok: false, problems: [problem(FILE_PATH, bytes, reason)] };
}

/**
 * Validate the text of a lab file (pure, no I/O). `source` names where the text came from; it is
 * not part of the problems (pass it to formatProblems).
 */
export function parseLab(text: string, source: string): LoadResult {
  void source;
  if (text.length > MAX_LAB_BYTES) return tooBig(text.length, 'characters');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_LAB_BYTES) return tooBig(bytes, 'bytes');

  const yaml = readYaml(text);
  if (yaml.data === undefined) return { ok: false, problems: yaml.problems };

  const parsed = labSchema.safeParse(yaml.data);
  const problems = dedupe([
    ...yaml.problems,
    ...(parsed.success ? [] : zodProblems(parsed.error.issues, yaml.data)),
    ...crossChecks(yaml.data),
  ]);
  if (!parsed.success || problems.length > 0) return { ok: false, problems };
  return { ok: true, lab: toLabConfig(parsed.data) };
}

/** Read and validate a lab file. Never throws: an unreadable, odd or oversized file is a problem. */
export async function loadLab(path: string): Promise<LoadResult> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO must not hang; the isFile() check below refuses it anyway.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { ok: false, problems: [problem(FILE_PATH, path, `cannot open the lab file: ${describeError(error)}`)] };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { ok: false, problems: [problem(FILE_PATH, path, 'not a regular file')] };
    if (stat.size > MAX_LAB_BYTES) return tooBig(stat.size, 'bytes');
    // Read at most one byte past the cap, in case the file grew since stat().
    const buffer = Buffer.alloc(MAX_LAB_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0 || (length += bytesRead) >= buffer.length) break;
    }
    if (length > MAX_LAB_BYTES) return tooBig(length, 'bytes or more');
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, length));
    } catch {
      return { ok: false, problems: [problem(FILE_PATH, path, 'the lab file is not valid UTF-8 text')] };
    }
    return parseLab(text, path);
  } catch (error) {
    return { ok: false, problems: [problem(FILE_PATH, path, `cannot read the lab file: ${describeError(error)}`)] };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function describeError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const text = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !text.startsWith(code) ? `${code}: ${text}` : text;
}

function toLabConfig(input: LabInput): LabConfig {
  const nodes: NodeConfig[] = Object.entries(input.nodes).map(([name, node]) => {
    const cidr = parseCidr(node.address);
    if (cidr === undefined) throw new Error(`unreachable: node ${name} address passed validation but does not parse`);
    const api = parseListen(node.api);
    if (api === undefined) throw new Error(`unreachable: node ${name} api passed validation but does not parse`);
    return { name, role: node.role, address: node.address, ip: cidr.ip, prefixLength: cidr.prefixLength, api };
  });
  const virtualServers: VirtualServerConfig[] = input.virtualServers.map((vs) => ({
    name: vs.name,
    vip: vs.vip,
    port: vs.port,
    protocol: vs.protocol,
    scheduler: vs.scheduler,
    forwarding: vs.forwarding,
    snat: vs.snat,
    ...(vs.persistence === undefined ? {} : { persistence: vs.persistence }),
    realServers: vs.realServers.map((rs) => ({ node: rs.node, port: rs.port, weight: rs.weight })),
    ...(vs.healthCheck === undefined ? {} : { healthCheck: toHealthCheck(vs.healthCheck) }),
    ...(vs.quorum === undefined ? {} : { quorum: vs.quorum }),
    ...(vs.sorryServer === undefined ? {} : { sorryServer: { node: vs.sorryServer.node, port: vs.sorryServer.port } }),
  }));
  const blocklists: BlocklistConfig[] = input.blocklists.map((bl) => ({
    name: bl.name,
    type: bl.type,
    entries: bl.entries.map((entry) => {
      const held = canonicalNet(entry);
      if (held === undefined) throw new Error(`unreachable: blocklist ${bl.name} entry ${entry} passed validation but does not parse`);
      return held;
    }),
    match: bl.match,
    ...(bl.protocol === undefined ? {} : { protocol: bl.protocol }),
    ...(bl.port === undefined ? {} : { port: bl.port }),
  }));
  return {
    lab: input.lab,
    prefix: input.prefix,
    interface: input.interface,
    masqueradeMark: input.masqueradeMark,
    reconcileSchedule: input.reconcile.schedule,
    nodes,
    virtualServers,
    blocklists,
    services: input.services.map(toService),
    serviceMode: toServiceMode(input),
    ...(input.drain === undefined ? {} : { drain: { timeoutMs: input.drain.timeout } }),
    ...(input.ipvsTimeouts === undefined ? {} : { ipvsTimeouts: toIpvsTimeouts(input.ipvsTimeouts) }),
  };
}

/** Only the keys the file sets: the others stay the node's own. */
const toIpvsTimeouts = (t: NonNullable<LabInput['ipvsTimeouts']>): IpvsTimeoutsConfig =>
  Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined));

type HealthInput = NonNullable<LabInput['virtualServers'][number]['healthCheck']>;

function toHealthCheck(hc: HealthInput): HealthCheckConfig {
  const retryDelayMs = hc.retryDelay ?? Math.min(hc.interval, HEALTH_DEFAULTS.retryDelayMaxMs);
  const common = { intervalMs: hc.interval, retryDelayMs, timeoutMs: hc.timeout, rise: hc.rise, fall: hc.fall, onFailure: hc.onFailure };
  if (hc.type === 'tcp') return { type: 'tcp', ...common };
  return {
    type: 'http',
    path: hc.path ?? HEALTH_DEFAULTS.path,
    expectStatus: hc.expectStatus ?? HEALTH_DEFAULTS.expectStatus,
    ...(hc.bodyContains === undefined ? {} : { bodyContains: hc.bodyContains }),
    ...common,
  };
}

function toService(svc: LabInput['services'][number]): ServiceConfig {
  const targetPort = svc.targetPort ?? svc.port;
  return {
    name: svc.name,
    namespace: svc.namespace,
    type: svc.type,
    clusterIP: svc.clusterIP,
    protocol: svc.protocol === 'UDP' ? 'udp' : 'tcp',
    port: svc.port,
    targetPort,
    ...(svc.nodePort === undefined ? {} : { nodePort: svc.nodePort }),
    scheduler: svc.scheduler,
    ...(svc.sessionAffinity === 'ClientIP' ? { affinityTimeout: svc.sessionAffinityTimeout ?? DEFAULT_AFFINITY_TIMEOUT } : {}),
    endpoints: svc.endpoints.map((e) => ({ node: e.node, port: e.port ?? targetPort })),
  };
}

function toServiceMode(input: LabInput): ServiceMode {
  const range = parsePortRange(input.nodePortRange);
  if (typeof range === 'string') throw new Error(`unreachable: nodePortRange passed validation but does not parse: ${range}`);
  return { kubeletRules: input.kubeletRules, nodePortRange: range, clusterDomain: input.clusterDomain };
}
