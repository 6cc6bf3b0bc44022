/**
 * Each probe's connection in the conntrack tables, read as the article reads it: matched by the client's
 * source port and VIP:port; on the director the reply tuple says which real server IPVS chose (reply
 * src = RIP, DNAT) and whether masquerade made the director the source (reply dst = DIP, SNAT) or the
 * real server answers the client itself (reply dst = CIP, no SNAT). Pure.
 */
import type { LabConfig, NodeConfig, VirtualServerConfig } from '../config/types.js';
import type { ConntrackFlow } from '../kernel/conntrack/index.js';
import { directorOf } from '../plan/plan.js';
import { NO_SNAT, type FlowExplanation, type Probe } from './types.js';

export interface FlowsResult {
  readonly flows: FlowExplanation[];
  readonly clientFlowsMatched: number;
  readonly directorFlowsMatched: number;
}

/** The first client node of the lab: where verify's probes come from. */
export const clientOf = (lab: LabConfig): NodeConfig => {
  const client = lab.nodes.find((n) => n.role === 'client');
  if (!client) throw new Error(`lab '${lab.lab}' has no client`);
  return client;
};

const hostPort = (address: string, port: number | undefined): string => `${address}:${port ?? '?'}`;

/** A flow as conntrack -L shows its tuples: "C:p → V:vp, reply R:rp → D:dp [UNREPLIED] TIME_WAIT". */
export function tupleText(f: ConntrackFlow): string {
  const o = f.original;
  const r = f.reply;
  return `${hostPort(o.src, o.sport)} → ${hostPort(o.dst, o.dport)}, reply ${hostPort(r.src, r.sport)} → ${hostPort(r.dst, r.dport)}${f.unreplied ? ' [UNREPLIED]' : ''}${f.state ? ` ${f.state}` : ''}`;
}

/** The flow of the connection from client:port to the VIP (original direction). */
const flowOf = (flows: readonly ConntrackFlow[], vs: VirtualServerConfig, clientIp: string, port: number) =>
  flows.find(
    (f) => f.protocol === vs.protocol && f.original.src === clientIp && f.original.sport === port &&
      f.original.dst === vs.vip && f.original.dport === vs.port,
  );

function explainOne(lab: LabConfig, vs: VirtualServerConfig, probe: Probe, port: number,
  onClient: ConntrackFlow | undefined, onDirector: ConntrackFlow | undefined): FlowExplanation {
  const client = clientOf(lab);
  const director = directorOf(lab);
  const from = hostPort(client.ip, port);
  const to = hostPort(vs.vip, vs.port);
  const head = `client ${from} → VIP ${to}`;
  const saw = probe.peer !== undefined ? { realServerSaw: probe.peer } : {};
  const tuples = {
    ...(onClient === undefined ? {} : { onClient: tupleText(onClient) }),
    ...(onDirector === undefined ? {} : { onDirector: tupleText(onDirector) }),
  };
  const base = {
    seq: probe.seq, client: from, virtual: to, forwarding: vs.forwarding, ...saw, tuples,
    seenOnClient: onClient !== undefined, seenOnDirector: onDirector !== undefined,
  };
  const state = (onDirector ?? onClient)?.state;
  const withState = state !== undefined ? { state } : {};
  if (vs.forwarding !== 'nat') return explainDirect(lab, vs, probe, head, { ...base, ...withState }, onClient, onDirector);
  if (onDirector === undefined) {
    const text = `${head}: the director keeps no conntrack entry for it, so neither its DNAT nor a SNAT can be read`;
    return { ...base, ...withState, snat: 'unknown: no conntrack entry on the director', text };
  }
  const rip = onDirector.reply.src;
  const node = lab.nodes.find((n) => n.ip === rip)?.name;
  const rs = node ?? `the unknown server ${rip}`;
  const dnat = hostPort(rip, onDirector.reply.sport);
  const chose = `${head}: IPVS chose ${rs} (DNAT to ${dnat})`;
  const known = { ...base, ...withState, dnat, ...(node !== undefined ? { realServer: node } : {}) };
  const unreplied = onDirector.unreplied ? `; the director saw no reply [UNREPLIED]` : '';
  const outcome = onDirector.unreplied ? `but the director saw no reply from ${rs} [UNREPLIED]` : `so ${rs} answers the director and the reply maps back to the client`;
  if (onDirector.reply.dst === client.ip) {
    const text = `${chose}, no SNAT: ${rs} answers the client ${client.ip} directly, so its reply must route back through the director to be un-DNATed${unreplied}`;
    return { ...known, snat: NO_SNAT, text };
  }
  const floating = lab.ha?.floatingIp;
  const source = onDirector.reply.dst === director.ip ? `masquerade made the director ${director.ip} the source (SNAT)`
    : onDirector.reply.dst === floating ? `SNAT made the floating address ${floating} the source` : `masquerade made ${onDirector.reply.dst} the source (SNAT)`;
  const text = `${chose}, ${source}, ${outcome}`;
  return { ...known, snat: hostPort(onDirector.reply.dst, onDirector.reply.dport), text };
}

/**
 * DR and TUN: the director rewrites no address. Its conntrack entry keeps the reply tuple VIP → client
 * (no DNAT) and stays [UNREPLIED], since the real server answers the client itself from the VIP; the
 * client's entry shows that reply. Which real server answered, and the address it saw, come from the
 * answer (its body and X-Lvslab-Peer header).
 */
function explainDirect(lab: LabConfig, vs: VirtualServerConfig, probe: Probe, head: string, base: Omit<FlowExplanation, 'snat' | 'text'>,
  onClient: ConntrackFlow | undefined, onDirector: ConntrackFlow | undefined): FlowExplanation {
  const client = clientOf(lab);
  const node = probe.realServer !== undefined ? lab.nodes.find((n) => n.name === probe.realServer) : undefined;
  const rs = node === undefined ? 'a real server' : `${node.name} (${node.ip})`;
  const how = vs.forwarding === 'dr'
    ? `IPVS sent it to ${rs} by MAC rewrite (DR: the frame readdressed, the IP packet untouched)`
    : `IPVS encapsulated it in IP-in-IP to ${rs} (TUN: an outer header from the director to the real server)`;
  const sawText = probe.peer === undefined ? '' : probe.peer === client.ip
    ? `, which saw the client's own address ${probe.peer}`
    : `, which saw ${probe.peer} as the client, not ${client.ip}`;
  const onDs = onDirector === undefined
    ? 'the director keeps no conntrack entry for it'
    : onDirector.reply.src !== vs.vip
      ? `the director's entry was rewritten (reply from ${hostPort(onDirector.reply.src, onDirector.reply.sport)}), which ${vs.forwarding} never does`
      : onDirector.unreplied
        ? 'the director saw only the request direction (reply tuple untouched, [UNREPLIED])'
        : 'the director saw packets in both directions: a reply crossed it';
  const onCl = onClient === undefined
    ? 'the client keeps no entry for it'
    : onClient.unreplied ? 'the client saw no reply [UNREPLIED]' : `the client's entry holds the reply from the VIP ${vs.vip}`;
  const answered = probe.ok ? ` answered the client from the VIP directly` : ' did not answer';
  const text = `${head}: ${how}${sawText};${node === undefined ? ' the real server' : ` ${node.name}`}${answered}: ${onDs}; ${onCl}`;
  return { ...base, ...(node !== undefined ? { realServer: node.name } : {}), snat: NO_SNAT, text };
}

export function explainFlows(probes: readonly Probe[], clientFlows: readonly ConntrackFlow[], directorFlows: readonly ConntrackFlow[],
  lab: LabConfig, vs: VirtualServerConfig): FlowsResult {
  const clientIp = clientOf(lab).ip;
  const flows: FlowExplanation[] = [];
  let clientFlowsMatched = 0;
  let directorFlowsMatched = 0;
  for (const probe of probes) {
    if (probe.localPort === undefined) continue;
    const onClient = flowOf(clientFlows, vs, clientIp, probe.localPort);
    const onDirector = flowOf(directorFlows, vs, clientIp, probe.localPort);
    if (onClient) clientFlowsMatched++;
    if (onDirector) directorFlowsMatched++;
    if (onClient || onDirector) flows.push(explainOne(lab, vs, probe, probe.localPort, onClient, onDirector));
  }
  return { flows, clientFlowsMatched, directorFlowsMatched };
}
