/** Our request's conntrack entry on the director → the last step: DNAT to the real server, masquerade, mark. Pure. */
import type { ConntrackFlow, Tuple } from '../kernel/conntrack/parse.js';
import type { StepDraft } from './ipvs-step.js';
import type { TraceInput } from './types.js';

const end = (address: string, port: number | undefined): string => (port === undefined ? address : `${address}:${port}`);
const tuple = (t: Tuple): string => `${end(t.src, t.sport)} → ${end(t.dst, t.dport)}`;

/** Packets/bytes of both directions, when conntrack accounting printed them. */
export function flowPackets(flow: ConntrackFlow | undefined): { packets: number; bytes: number } | undefined {
  const { original: o, reply: r } = flow ?? {};
  if (o?.packets === undefined || r?.packets === undefined) return undefined;
  return { packets: o.packets + r.packets, bytes: (o.bytes ?? 0) + (r.bytes ?? 0) };
}

function flowNotes(flow: ConntrackFlow): string[] {
  const { original: o, reply: r } = flow;
  const notes: string[] = [];
  notes.push(r.src !== o.dst || r.sport !== o.dport
    ? `DNAT: the real server ${end(r.src, r.sport)} answers for ${end(o.dst, o.dport)}`
    : 'no DNAT: the reply comes from the address the client called');
  notes.push(r.dst !== o.src || r.dport !== o.sport
    ? `masquerade (SNAT): the real server answers ${end(r.dst, r.dport)}, the director, not the client ${end(o.src, o.sport)}`
    : `no masquerade: the real server answers the client ${o.src} directly`);
  if (flow.mark !== undefined) notes.push(`mark=${flow.mark} is the connection's mark; MARK rules set the packet's mark only`);
  if (flow.unreplied) notes.push('UNREPLIED: nothing came back');
  if (o.packets !== undefined && r.packets !== undefined) {
    notes.push(`${o.packets} pkt/${o.bytes ?? 0} B from the client, ${r.packets} pkt/${r.bytes ?? 0} B back (conntrack accounting)`);
  }
  return notes;
}

export function conntrackStep(input: TraceInput): StepDraft {
  const base = { kind: 'conntrack', depth: 0 } as const;
  const flow = input.flow;
  if (flow === undefined) {
    const why = input.request.sourcePort === undefined ? ['the request\'s source port is unknown, so its entry could not be picked'] : [];
    return { ...base, explanation: 'no conntrack entry of this request found on the director', notes: why };
  }
  const state = flow.state === undefined ? '' : ` ${flow.state}`;
  const mark = flow.mark === undefined ? '' : `, mark=${flow.mark}`;
  const counts = flowPackets(flow) ?? {};
  return {
    ...base, ...counts,
    explanation: `${flow.protocol}${state} ${tuple(flow.original)}, reply ${tuple(flow.reply)}${mark}`,
    notes: flowNotes(flow),
  };
}
