/**
 * A remote node's conntrack flows, read through its lvslabd status API (`GET /v1/conntrack`) with curl
 * from the machine verify runs on. The node's `api` in the lab must listen on an address other machines
 * reach (e.g. 0.0.0.0:9410); a loopback-only API is said so, not guessed around.
 */
import type { NodeConfig } from '../config/types.js';
import { reachAt } from '../config/listen.js';
import { formatHostPort } from '../kernel/ipvs/address.js';
import { flowMatches, type ConntrackFilter, type ConntrackFlow } from '../kernel/conntrack/index.js';
import type { Runner } from '../kernel/runner.js';
import type { LabFlows } from '../service/lab-flows.js';
import type { StatusDocument } from '../api/state-document.js';

/** The URL of a node's status API as seen from another machine, or why there is none. */
export function remoteApiUrl(node: NodeConfig, path: string): { url: string } | { problem: string } {
  const api = node.api;
  if (api === 'off') return { problem: `${node.name}'s status API is off (nodes.${node.name}.api)` };
  const host = reachAt(api, node.ip, 'another machine');
  if (host === undefined) {
    return { problem: `${node.name}'s status API listens on ${api.host}:${api.port} only; set nodes.${node.name}.api to 0.0.0.0:${api.port} so that other nodes can read it` };
  }
  return { url: `http://${formatHostPort(host, api.port)}${path}` };
}

/**
 * GET `path` of a node's status API with curl from `from`: its JSON, once it holds the array `field`
 * (else an error naming the URL and the field), and the URL read.
 */
async function remoteGet<T>(from: Runner, node: NodeConfig, path: string, field: string): Promise<{ url: string; body: T }> {
  const target = remoteApiUrl(node, path);
  if ('problem' in target) throw new Error(target.problem);
  const { stdout } = await from.run(['curl', '-sS', '--fail', '--max-time', '10', target.url], { timeoutMs: 30_000 });
  const parsed = JSON.parse(stdout) as Record<string, unknown> | null;
  if (!Array.isArray(parsed?.[field])) throw new Error(`${target.url} did not answer {${field}: [...]}`);
  return { url: target.url, body: parsed as T };
}

/** The node's lab flows (its API serves no other) that pass `filter`, as its `conntrack -L` would list them. */
export async function remoteConntrack(from: Runner, node: NodeConfig, filter: ConntrackFilter): Promise<ConntrackFlow[]> {
  const { body } = await remoteGet<LabFlows>(from, node, '/v1/conntrack', 'flows');
  return body.flows.filter(flowMatches(filter));
}

/** A remote node's /v1/state (its virtual servers with each real server's health and weights), and the URL read. */
export async function remoteState(from: Runner, node: NodeConfig): Promise<{ url: string; state: StatusDocument }> {
  const { url, body } = await remoteGet<StatusDocument>(from, node, '/v1/state', 'virtualServers');
  return { url, state: body };
}
