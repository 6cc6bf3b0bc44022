/**
 * The /v1/state document (pure): the lab's virtual servers with, per real server, the weight the
 * kernel has, the weight the lab wants, health, connections and drain.
 */
import type { LabConfig, NodeConfig } from '../config/types.js';
import type { HealthState } from '../health/state.js';
import type { IpvsServiceStats, RealServerConnections } from '../kernel/ipvs/index.js';
import { realServerId } from '../plan/keys.js';
import { planNode } from '../plan/plan.js';
import type { RealServerRow } from '../metrics/metrics.js';
import type { ReconcileResult } from '../reconcile/reconcile.js';
import type { RealServerStatus, StatusDocument } from '../api/state-document.js';
import type { RunFailure } from '../kernel/tool-error.js';

export interface StatusInput {
  readonly lab: LabConfig;
  readonly node: NodeConfig;
  readonly pid: number;
  readonly startedAt: string;
  readonly converged: boolean;
  /** The last run; `failure` is its error as data (the result's `error` text is never shown: it holds stderr and batch lines). */
  readonly last?: ReconcileResult & { readonly at: string };
  readonly health: ReadonlyMap<string, HealthState>;
  /** From `ipvsadm -Ln --exact` on the director; empty elsewhere. */
  readonly connections: readonly RealServerConnections[];
  readonly reloadProblems?: readonly string[];
}

const serviceKey = (protocol: string, address: string, port: number): string => `${protocol} ${address}:${port}`;
const realKey = (r: { readonly address: string; readonly port: number }): string => `${r.address}:${r.port}`;

const UNKNOWN_FAILURE: RunFailure = { reason: "the run failed; the daemon's log says why" };

export function statusDocument(input: StatusInput): StatusDocument {
  const { lab, node } = input;
  const byAddress = new Map(lab.nodes.map((n) => [n.ip, n.name]));
  // indexed once: a scrape of a lab of n virtual servers costs O(n), not O(n²)
  const planned = new Map((node.role === 'director' ? planNode(lab, node.name, { health: input.health }).desired.ipvs : [])
    .map((s) => [serviceKey(s.protocol, s.address, s.port), s]));
  const kernelByService = new Map<string, Map<string, RealServerConnections>>();
  for (const c of input.connections) {
    const key = serviceKey(c.service.protocol, c.service.address, c.service.port);
    const reals = kernelByService.get(key) ?? new Map<string, RealServerConnections>();
    kernelByService.set(key, reals.set(realKey(c.real), c));
  }
  const draining = new Map((input.last?.draining ?? []).map((d) => [d.key, d]));
  const virtualServers = node.role !== 'director' ? [] : lab.virtualServers.map((vs) => {
    const service = { protocol: vs.protocol, address: vs.vip, port: vs.port };
    const wanted = new Map((planned.get(serviceKey(vs.protocol, vs.vip, vs.port))?.realServers ?? []).map((r) => [realKey(r), r]));
    const inKernel = kernelByService.get(serviceKey(vs.protocol, vs.vip, vs.port)) ?? new Map<string, RealServerConnections>();
    const addresses = new Map<string, { address: string; port: number }>();
    for (const r of [...wanted.values(), ...[...inKernel.values()].map((c) => c.real)]) addresses.set(realKey(r), r);
    const realServers = [...addresses.values()].map((r): RealServerStatus => {
      const id = realServerId(service, r);
      const kernel = inKernel.get(realKey(r));
      const health = input.health.get(id);
      const drain = draining.get(id);
      return {
        ...(byAddress.has(r.address) ? { node: byAddress.get(r.address)! } : {}),
        address: r.address,
        port: r.port,
        weight: kernel?.weight ?? 0,
        desiredWeight: wanted.get(realKey(r))?.weight ?? 0,
        ...(health ? { healthy: health.healthy } : {}),
        ...(kernel ? { activeConns: kernel.active, inactiveConns: kernel.inactive } : {}),
        ...(drain ? { drainingSince: drain.since } : {}),
      };
    });
    return { name: vs.name, vip: vs.vip, port: vs.port, protocol: vs.protocol, scheduler: vs.scheduler, realServers };
  });
  const last = input.last;
  return {
    lab: lab.lab,
    node: node.name,
    role: node.role,
    pid: input.pid,
    startedAt: input.startedAt,
    converged: input.converged,
    ...(last ? {
      lastReconcile: {
        at: last.at, ok: last.ok, durationMs: last.durationMs, changes: last.changes,
        countsByKind: last.countsByKind, remaining: last.remaining, ...(last.ok ? {} : { error: last.failure ?? UNKNOWN_FAILURE }),
      },
    } : {}),
    virtualServers,
    ...(input.reloadProblems?.length ? { reloadProblems: input.reloadProblems } : {}),
  };
}

/**
 * The real-server rows of /metrics: one per real server of each virtual server of the document, with
 * its traffic counters when `stats` (the kernel's, for the same services) has that real server.
 */
export function realServerRows(doc: StatusDocument, stats: readonly IpvsServiceStats[] = []): RealServerRow[] {
  const counters = new Map(stats.flatMap((s) => s.reals.map((r) => [`${s.protocol} ${s.address}:${s.port} ${r.address}:${r.port}`, r.counters] as const)));
  return doc.virtualServers.flatMap((vs) => vs.realServers.map((rs): RealServerRow => {
    const counted = counters.get(`${vs.protocol} ${vs.vip}:${vs.port} ${rs.address}:${rs.port}`);
    return {
      virtualServer: vs.name, realServer: `${rs.address}:${rs.port}`, weight: rs.weight,
      ...(rs.healthy === undefined ? {} : { healthy: rs.healthy }),
      ...(rs.activeConns === undefined ? {} : { activeConns: rs.activeConns }),
      ...(rs.inactiveConns === undefined ? {} : { inactiveConns: rs.inactiveConns }),
      ...(counted === undefined ? {} : { counters: counted }),
    };
  }));
}
