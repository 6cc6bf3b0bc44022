/**
 * Facts read from the nodes → the likely causes of a failing virtual server, in the order a packet
 * meets them: the client's route, forwarding on the director, the IPVS service, the backends, then the
 * two NAT steps of the article (vs.conntrack for masquerade, SNAT when the real servers' gateway is not
 * the director). Only what the facts show; nothing is guessed from missing facts. Pure.
 */
import type { LabConfig, VirtualServerConfig } from '../config/types.js';
import { setNames } from '../plan/names.js';
import { directorOf, findNode, gatewayOf, snatEntry } from '../plan/plan.js';
import { clientOf } from './flows.js';
import type { Cause, Facts } from './types.js';

interface Context {
  readonly facts: Facts;
  readonly lab: LabConfig;
  readonly vs: VirtualServerConfig;
  readonly director: { readonly name: string; readonly ip: string };
  readonly client: { readonly name: string; readonly ip: string };
  readonly service: string;
}

type Check = (c: Context) => Cause[];

const noRoute: Check = ({ facts, lab, vs, director, client }) => {
  const route = facts.clientRouteToVip;
  if (route === undefined) return [];
  const asked = `ip route get ${vs.vip} on ${client.name}`;
  if (route === 'none') {
    return [{
      code: 'no-route',
      message: `the client ${client.name} has no route to VIP ${vs.vip}, so its requests never reach the director ${director.name} (${director.ip}).`,
      evidence: `${asked}: no route`,
    }];
  }
  const wrongType = route.type !== undefined && route.type !== 'unicast';
  // in an HA lab the route goes via the floating address, which keepalived keeps on the master
  const gateway = gatewayOf(lab);
  if (!wrongType && (route.via === undefined || route.via === gateway)) return [];
  const should = lab.ha === undefined ? `the director ${director.name} (${director.ip})` : `the floating address ${gateway}`;
  const read = [route.type, route.via && `via ${route.via}`, route.dev && `dev ${route.dev}`].filter(Boolean).join(' ');
  const how = wrongType ? `as a ${route.type} route` : `via ${route.via}`;
  return [{
    code: 'no-route',
    message: `the client ${client.name} sends traffic for VIP ${vs.vip} ${how}, not via ${should}, so IPVS never sees it.`,
    evidence: `${asked}: ${read}`,
  }];
};

const ipForwardOff: Check = ({ facts, director }) =>
  facts.directorSysctls['net.ipv4.ip_forward'] !== '0' ? [] : [{
    code: 'ip-forward-off',
    message: `IP forwarding is off on the director ${director.name}, so it does not forward the real servers' replies back to the client (IPVS NAT needs net.ipv4.ip_forward=1).`,
    evidence: `net.ipv4.ip_forward = 0 on ${director.name}`,
  }];

const noIpvsService: Check = ({ facts, vs, director, service }) =>
  facts.ipvsServicePresent !== false ? [] : [{
    code: 'no-ipvs-service',
    message: `the director ${director.name} has no IPVS service ${service}, so nothing balances the VIP onto the real servers.`,
    evidence: `ipvsadm -S -n on ${director.name} lists no -A ${vs.protocol === 'tcp' ? '-t' : '-u'} ${vs.vip}:${vs.port}`,
  }];

const backendDown: Check = ({ facts, lab, vs, director }) =>
  vs.realServers.filter((rs) => facts.realServerBackends[rs.node] === false).map((rs) => {
    const rip = `${findNode(lab, rs.node).ip}:${rs.port}`;
    const why = facts.realServerBackendErrors?.[rs.node];
    return {
      code: 'backend-down',
      message: `the backend of real server ${rs.node} at ${rip} does not answer the director ${director.name}, so the connections IPVS sends there fail.`,
      evidence: `curl from ${director.name} to http://${rip}/ failed${why ? `: ${why}` : ''}`,
    };
  });

const unhealthy: Check = ({ facts, lab, vs, director }) => {
  const health = facts.directorHealth;
  if (health === undefined) return [];
  return vs.realServers.flatMap((rs) => {
    const seen = health.realServers[rs.node];
    if (seen?.healthy !== false) return [];
    const rip = `${findNode(lab, rs.node).ip}:${rs.port}`;
    return [{
      code: 'real-server-down',
      message: `the director ${director.name}'s health check finds real server ${rs.node} at ${rip} down, so IPVS gives it weight ${seen.weight} (the lab's is ${rs.weight}) and sends it no new connections.`,
      evidence: `${health.source} on ${director.name}: ${rs.node} ${rip} healthy false, weight ${seen.weight} in its IPVS table`,
    }];
  });
};

const vsConntrackOff: Check = ({ facts, vs, director, service }) =>
  facts.directorSysctls['net.ipv4.vs.conntrack'] !== '0' || facts.snatRulePresent !== true ? [] : [{
    code: 'vs-conntrack-off',
    message: `net.ipv4.vs.conntrack is 0 on the director ${director.name}, so IPVS keeps no netfilter conntrack entry for ${service} and the masquerade rules (nat table) never apply: the real servers see the client's address and answer it directly (set net.ipv4.vs.conntrack=1).`,
    evidence: `net.ipv4.vs.conntrack = 0 on ${director.name}; masquerade rules for ${vs.vip}:${vs.port} present in its nat table`,
  }];

const noSnat: Check = ({ facts, lab, vs, director, client, service }) => {
  if (facts.snatRulePresent !== false || vs.forwarding !== 'nat') return [];
  const direct = vs.realServers
    .map((rs) => ({ rs: rs.node, hop: facts.realServerGateways[rs.node] }))
    .filter((g): g is { rs: string; hop: string } => g.hop !== undefined && g.hop !== gatewayOf(lab));
  const seen = [...new Map(direct.map((g) => [g.rs, g])).values()];
  const first = seen[0];
  if (first === undefined) return [];
  const names = seen.map((g) => g.rs).join(', ');
  return [{
    code: 'no-snat',
    message: `${service} has no SNAT on the director while ${names} reach${seen.length === 1 ? 'es' : ''} the client ${client.ip} without going through the director, so ${first.rs} answers the client directly from ${findNode(lab, first.rs).ip} and the client drops a reply from an address it never called.`,
    evidence: `${seen.map((g) => `ip route get ${client.ip} on ${g.rs}: next hop ${g.hop}${g.hop === client.ip ? ' (direct)' : ''}`).join('; ')}; not the director ${director.ip}; no masquerade for ${vs.vip}:${vs.port} in ${director.name}'s nat table (set ${setNames(lab).snat} lacks ${snatEntry(vs)}, or its rules are missing)`,
  }];
};

const CHECKS: readonly Check[] = [noRoute, ipForwardOff, noIpvsService, backendDown, unhealthy, vsConntrackOff, noSnat];

export function diagnose(facts: Facts, lab: LabConfig, vs: VirtualServerConfig): Cause[] {
  const director = directorOf(lab);
  const client = clientOf(lab);
  const service = `${vs.name} ${vs.vip}:${vs.port}/${vs.protocol}`;
  const context: Context = { facts, lab, vs, director, client, service };
  return CHECKS.flatMap((check) => check(context));
}
