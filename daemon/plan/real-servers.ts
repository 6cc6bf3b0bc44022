/**
 * The real servers the director's IPVS table should hold for one virtual server, given the health of
 * each (pure). Without health input, or without a healthCheck, every real server is as the lab says.
 *
 * - unhealthy, onFailure inhibit: stays, weight 0 (no new connections; existing ones go on);
 * - unhealthy, onFailure remove: absent (the drain then takes it out gracefully);
 * - fewer healthy real servers than the quorum (1 when only a sorryServer is given, as keepalived
 *   does): the sorry server is the only real server, weight 1, same forwarding as the service.
 *   Without a sorry server an unmet quorum changes nothing beyond the rules above.
 */
import type { LabConfig, VirtualServerConfig } from '../config/types.js';
import type { RealServer } from '../kernel/types.js';
import { realServerKeys, type KeyedRealServer } from '../health/targets.js';

/** Health by realServerId; a real server without an entry is healthy (the monitor starts them so). */
export type HealthView = ReadonlyMap<string, { readonly healthy: boolean }>;

/** The quorum in force: the lab's, or 1 when only a sorry server is given, or none. */
export const quorumOf = (vs: VirtualServerConfig): number | undefined => vs.quorum ?? (vs.sorryServer === undefined ? undefined : 1);

export function plannedRealServers(lab: LabConfig, vs: VirtualServerConfig, health?: HealthView): RealServer[] {
  const reals = realServerKeys(lab, vs);
  const isHealthy = (r: KeyedRealServer): boolean => vs.healthCheck === undefined || (health?.get(r.key)?.healthy ?? true);
  const real = (r: KeyedRealServer, weight: number): RealServer => ({ address: r.ip, port: r.port, forwarding: vs.forwarding, weight });

  const quorum = quorumOf(vs);
  const sorry = vs.sorryServer;
  const sorryIp = sorry === undefined ? undefined : lab.nodes.find((n) => n.name === sorry.node)?.ip;
  if (sorry !== undefined && sorryIp !== undefined && quorum !== undefined && reals.filter(isHealthy).length < quorum) {
    return [{ address: sorryIp, port: sorry.port, forwarding: vs.forwarding, weight: 1 }];
  }
  const onFailure = vs.healthCheck?.onFailure ?? 'inhibit';
  return reals.flatMap((r) => {
    if (isHealthy(r)) return [real(r, r.weight)];
    return onFailure === 'remove' ? [] : [real(r, 0)];
  });
}
