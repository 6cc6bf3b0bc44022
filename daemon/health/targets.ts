/** What the director health-checks: every real server of every virtual server with a healthCheck. Pure. */
import type { HealthCheckConfig, LabConfig, VirtualServerConfig } from '../config/types.js';
import { realServerId } from '../plan/keys.js';

export interface HealthTarget {
  /** realServerId: "10.10.0.1:8410/tcp -> 192.168.113.99:8080". */
  readonly key: string;
  readonly virtualServer: string;
  readonly node: string;
  readonly ip: string;
  readonly port: number;
  readonly check: HealthCheckConfig;
}

/** A real server of the lab with its node's address and its realServerId. */
export interface KeyedRealServer {
  readonly node: string;
  readonly ip: string;
  readonly port: number;
  readonly weight: number;
  readonly key: string;
}

/** The real servers of `vs`, in the order of the lab file. */
export function realServerKeys(lab: LabConfig, vs: VirtualServerConfig): KeyedRealServer[] {
  const service = { protocol: vs.protocol, address: vs.vip, port: vs.port };
  return vs.realServers.flatMap((rs) => {
    const ip = lab.nodes.find((n) => n.name === rs.node)?.ip;
    return ip === undefined ? [] : [{ node: rs.node, ip, port: rs.port, weight: rs.weight, key: realServerId(service, { address: ip, port: rs.port }) }];
  });
}

/** Only the director checks; any other node (or one not in the lab) has nothing to check. */
export function healthTargets(lab: LabConfig, nodeName: string): HealthTarget[] {
  if (lab.nodes.find((n) => n.name === nodeName)?.role !== 'director') return [];
  return lab.virtualServers.flatMap((vs) => {
    const check = vs.healthCheck;
    if (check === undefined) return [];
    return realServerKeys(lab, vs).map(({ node, ip, port, key }) => ({ key, virtualServer: vs.name, node, ip, port, check }));
  });
}

/** "rs1 192.168.113.99:8080 (web)": how logs and reasons name a target. */
export const targetLabel = (t: HealthTarget): string => `${t.node} ${t.ip}:${t.port} (${t.virtualServer})`;
