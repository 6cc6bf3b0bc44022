/**
 * A remote node's conntrack flows, read through its lvslabd status API (`GET /v1/conntrack`) with curl
 * from the machine verify runs on. The node's `api` in the lab must listen on an address other machines
 * reach (e.g. 0.0.0.0:9410); a loopback-only API is said so, not guessed around.
 */
import type { NodeConfig } from '../config/types.js';
import { reachableFromOthers } from '../config/listen.js';
import type { ConntrackFlow } from '../kernel/conntrack/index.js';
import type { Runner } from '../kernel/runner.js';

/** The URL of a node's status API as seen from another machine, or why there is none. */
export function remoteApiUrl(node: NodeConfig, path: string): { url: string } | { problem: string } {
  const api = node.api;
  if (api === 'off') return { problem: `${node.name}'s status API is off (nodes.${node.name}.api)` };
  if (!reachableFromOthers(api)) {
    return { problem: `${node.name}'s status API listens on ${api.host}:${api.port} only; set nodes.${node.name}.api to 0.0.0.0:${api.port} so that other nodes can read it` };
  }
  const host = api.host === '0.0.0.0' || api.host === '::' ? node.ip : api.host;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${api.port}${path}` };
}

/** Flows of `protocol` to original destination port `dport`, as `conntrack -L -p PROTO --dport PORT` lists them. */
export const flowsTo = (flows: readonly ConntrackFlow[], protocol: string, dport: number): ConntrackFlow[] =>
  flows.filter((f) => f.protocol === protocol && f.original.dport === dport);

export async function remoteConntrack(from: Runner, node: NodeConfig): Promise<ConntrackFlow[]> {
  const target = remoteApiUrl(node, '/v1/conntrack');
  if ('problem' in target) throw new Error(target.problem);
  const { stdout } = await from.run(['curl', '-sS', '--fail', '--max-time', '10', target.url], { timeoutMs: 30_000 });
  const parsed: unknown = JSON.parse(stdout);
  if (!Array.isArray(parsed)) throw new Error(`${target.url} did not answer a list of flows`);
  return parsed as ConntrackFlow[];
}
