/**
 * Loading a lab file: read (size-limited), parse the YAML or JSON, read its entries files, check it
 * against the schema and the cross-field rules, and either return the LabConfig or every problem found.
 */
import { parseListen } from './listen.js';
import type { BlocklistConfig, HaConfig, ServiceConfig, ServiceMode, ConfigProblem, HealthCheckConfig, IpvsTimeoutsConfig, LabConfig, NodeConfig, VirtualServerConfig } from './types.js';
import { canonicalNet, parseCidr } from './ipv4.js';
import { crossChecks } from './checks.js';
import { dedupe, formatProblems, problem, zodProblems } from './problems.js';
import { labSchema, type LabInput } from './schema.js';
import { HEALTH_DEFAULTS } from './health-schema.js';
import { DEFAULT_AFFINITY_TIMEOUT, parsePortRange } from './service-schema.js';
import { readYaml } from './yaml.js';
import { looksLikeJson, readJson } from './json.js';
import { MAX_LAB_BYTES, mib } from './limits.js';
import { readTextFile } from './read-text.js';
import { resolveEntriesFiles, type EntriesSources } from './entries-file.js';
import { capProblems, tooManyElementProblems } from './problem-budget.js';

export { formatProblems, MAX_LAB_BYTES };

export type LoadResult = { readonly ok: true; readonly lab: LabConfig } | { readonly ok: false; readonly problems: ConfigProblem[] };

const FILE_PATH = '(file)';

function tooBig(size: string): LoadResult {
  const reason =
    `the lab file is ${size}; lab files are limited to ${MAX_LAB_BYTES} bytes (${mib(MAX_LAB_BYTES)}), refusing to parse it: ` +
    'move blocklist entries to an entriesFile, or split the lab';
  return { ok: false, problems: [problem(FILE_PATH, size, reason)] };
}

type ReadData = { readonly data: unknown; readonly problems: ConfigProblem[] };

/** The plain data of a lab's text (JSON or YAML), or the problems that stopped it. */
function readData(text: string, source: string): ReadData | LoadResult {
  if (text.length > MAX_LAB_BYTES) return tooBig(`${text.length} characters`);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_LAB_BYTES) return tooBig(`${bytes} bytes`);
  const read = looksLikeJson(text, source) ? readJson(text, bytes) : readYaml(text, bytes);
  return read.data === undefined ? { ok: false, problems: read.problems } : read;
}

/** The schema and the cross-field checks on the data; `sources` says which entries came from files. */
function validate(read: ReadData, sources?: EntriesSources): LoadResult {
  const tooMany = tooManyElementProblems(read.data);
  if (tooMany !== undefined) return { ok: false, problems: dedupe([...read.problems, ...tooMany]) };
  const parsed = labSchema.safeParse(read.data);
  const checks = crossChecks(read.data, sources);
  const problems = dedupe([...read.problems, ...(parsed.success ? [] : zodProblems(parsed.error.issues, read.data)), ...checks]);
  if (!parsed.success || problems.length > 0) return { ok: false, problems: capProblems(problems, checks.dropped > 0) };
  return { ok: true, lab: toLabConfig(parsed.data) };
}

/**
 * Validate the text of a lab file (pure, no I/O): JSON when `source` ends in .json or the text
 * starts with `{`, YAML otherwise. `source` names where the text came from; it is not part of the
 * problems (pass it to formatProblems). An entriesFile is not read here (loadLab reads it).
 */
export function parseLab(text: string, source: string): LoadResult {
  const read = readData(text, source);
  return 'ok' in read ? read : validate(read);
}

/** Read and validate a lab file and its entries files. Never throws: an unreadable, odd or oversized file is a problem. */
export async function loadLab(path: string): Promise<LoadResult> {
  const file = await readTextFile(path, MAX_LAB_BYTES, 'the lab file');
  if (!file.ok) return file.tooBig === undefined ? { ok: false, problems: [problem(FILE_PATH, path, file.reason)] } : tooBig(file.tooBig);
  const read = readData(file.text, path);
  if ('ok' in read) return read;
  const entries = await resolveEntriesFiles(read.data, path);
  return validate({ data: entries.data, problems: [...read.problems, ...entries.problems] }, entries.sources);
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
    entries: (bl.entries ?? []).map((entry) => {
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
    reconcileCpuPercent: input.reconcile.cpuPercent,
    nodes,
    virtualServers,
    blocklists,
    services: input.services.map(toService),
    serviceMode: toServiceMode(input),
    ...(input.drain === undefined ? {} : { drain: { timeoutMs: input.drain.timeout } }),
    ...(input.ipvsTimeouts === undefined ? {} : { ipvsTimeouts: toIpvsTimeouts(input.ipvsTimeouts) }),
    ...(input.ha === undefined ? {} : { ha: toHa(input.ha) }),
  };
}

function toHa(ha: NonNullable<LabInput['ha']>): HaConfig {
  const cidr = parseCidr(ha.floatingAddress);
  if (cidr === undefined) throw new Error(`unreachable: ha.floatingAddress passed validation but does not parse`);
  return { floatingAddress: ha.floatingAddress, floatingIp: cidr.ip, virtualRouterId: ha.virtualRouterId, advertIntervalMs: ha.advertInterval, preempt: ha.preempt };
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
