/**
 * Reading a kube-proxy-mode lab for `lvslab doctor`: curls of each TCP service from the client and the
 * director, of each node port from the client, of each TCP endpoint from the director; the director's
 * sysctls and node port sets. What cannot be read becomes a note. The impure edge of daemon/doctor.
 */
import type { LabConfig } from '../config/types.js';
import { ipsetAdapter } from '../kernel/ipset/index.js';
import { ipvsAdapter } from '../kernel/ipvs/index.js';
import type { Runner } from '../kernel/runner.js';
import { sysctlAdapter } from '../kernel/sysctl/index.js';
import type { LabNodeAccess } from '../lab/node-access.js';
import { kubeNames } from '../plan/kube.js';
import { directorOf, findNode } from '../plan/plan.js';
import { CURL_EXIT_CODES, curlArgv, curlFailure, parseCurl } from '../verify/curl.js';
import { clientOf } from '../verify/flows.js';
import type { KubeFacts, Reach, ServiceFacts } from './kube-types.js';
import { errorText } from '../kernel/tool-error.js';

const SYSCTLS = ['net.ipv4.vs.conntrack', 'net.ipv4.ip_forward'];
/**
 * curl --max-time of a doctor probe, in seconds: a first try, and a second, longer one after a time
 * out only (keepalived's retry): an endpoint slow to answer on a busy machine is not "down", while a
 * refused or unreachable one is told at once.
 */
export const PROBE_TIMEOUTS_S = [2, 6] as const;
const CURL_TIMED_OUT = 28;

async function reach(runner: Runner, host: string, port: number): Promise<Reach> {
  let failed: Reach | undefined;
  for (const timeoutS of PROBE_TIMEOUTS_S) {
    const r = await runner.run(curlArgv(host, port, timeoutS), { okExitCodes: CURL_EXIT_CODES, timeoutMs: (timeoutS + 20) * 1000 });
    const probe = parseCurl(r.stdout, r.exitCode, r.stderr);
    if (probe.ok) return { ok: true, curlExit: 0, detail: probe.realServer ?? '' };
    const detail = probe.error ?? curlFailure(r.exitCode, r.stderr);
    failed = { ok: false, curlExit: r.exitCode, detail: failed === undefined ? detail : `${failed.detail}; again with ${timeoutS} s: ${detail}` };
    if (r.exitCode !== CURL_TIMED_OUT) break;
  }
  return failed!;
}

export async function gatherKubeFacts(lab: LabConfig, access: LabNodeAccess): Promise<KubeFacts> {
  const director = directorOf(lab);
  const client = clientOf(lab);
  const notes: string[] = [];
  const attempt = async <T>(what: string, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (e) {
      notes.push(`${what} not read: ${errorText(e)}`);
      return undefined;
    }
  };
  const onDirector = access.runnerFor(director.name);
  const onClient = access.runnerFor(client.name);
  const sysctls = await attempt(`sysctls of ${director.name}`, () => sysctlAdapter(onDirector).observe(SYSCTLS));
  const sets = await attempt(`ipsets of ${director.name}`, () => ipsetAdapter(onDirector).observe(lab.prefix));
  const wanted = lab.ipvsTimeouts;
  const timeouts = wanted === undefined ? undefined : await attempt(`IPVS timeouts of ${director.name}`, () => ipvsAdapter(onDirector).timeouts());
  const names = kubeNames(lab.prefix);
  const members = (protocol: 'tcp' | 'udp'): number[] => (sets?.find((s) => s.name === names.nodePortSet(protocol))?.entries ?? []).map(Number);
  const services: ServiceFacts[] = [];
  for (const svc of lab.services) {
    const service = `${svc.namespace}/${svc.name}`;
    const tcp = svc.protocol === 'tcp';
    const probe = (runner: Runner, where: string, host: string, port: number) =>
      tcp ? attempt(`curl ${host}:${port} from ${where}`, () => reach(runner, host, port)) : Promise.resolve(undefined);
    const fromClient = await probe(onClient, client.name, svc.clusterIP, svc.port);
    const fromDirector = await probe(onDirector, director.name, svc.clusterIP, svc.port);
    const nodePortFromClient = svc.nodePort === undefined ? undefined : await probe(onClient, client.name, director.ip, svc.nodePort);
    const endpoints = [];
    for (const e of svc.endpoints) {
      const ip = findNode(lab, e.node).ip;
      endpoints.push({ endpoint: `${e.node} ${ip}:${e.port}`, reach: await probe(onDirector, director.name, ip, e.port) });
    }
    services.push({
      service, protocol: svc.protocol, clusterIP: svc.clusterIP, port: svc.port,
      ...(svc.nodePort === undefined ? {} : { nodePort: svc.nodePort }),
      ...(fromClient ? { fromClient } : {}),
      ...(fromDirector ? { fromDirector } : {}),
      ...(nodePortFromClient ? { nodePortFromClient } : {}),
      endpoints: endpoints.map((e) => (e.reach ? e : { endpoint: e.endpoint })),
    });
    if (!tcp) notes.push(`${service} is ${svc.protocol}: doctor probes TCP services only`);
  }
  return {
    director: { name: director.name, ip: director.ip },
    client: { name: client.name, ip: client.ip },
    directorSysctls: Object.fromEntries(SYSCTLS.map((k) => [k, sysctls?.get(k)])),
    ...(wanted === undefined || timeouts === undefined ? {} : { ipvsTimeouts: { wanted, seen: timeouts } }),
    ...(sets === undefined ? {} : { nodePortSets: { tcp: members('tcp'), udp: members('udp') } }),
    nodePortRange: lab.serviceMode.nodePortRange,
    services,
    notes,
  };
}
