/**
 * Whether a nat rule that moved could have matched our request's first packet, tested where that
 * packet is still as the client sent it (nat PREROUTING and OUTPUT and their user chains: before IPVS
 * or any NAT rewrote it). nat counts a connection's first packet only, so a rule there that excludes
 * our packet moved for other connections. Only matches whose answer the packet settles are tested:
 * `-p`, `-s`, `-d`, `--dport(s)`, `--sport(s)` and `-m set` (by lookup); any other match counts as
 * "could". Pure.
 */
import type { IpSet } from '../kernel/types.js';
import { ruleParts, type MatchOption } from './explain.js';
import { holdsAddress, lookUpSet, type PacketFields } from './set-match.js';

/** "80", "80:90" (iptables' range) or "80,443,8000:8080" (multiport) holding `port`? */
function portsHold(spec: string, port: number): boolean {
  return spec.split(',').some((part) => {
    const [low = '', high] = part.split(':');
    return port >= Number(low) && port <= Number(high ?? low);
  });
}

const PROTOCOL_NUMBERS: Readonly<Record<string, string>> = { '6': 'tcp', '17': 'udp' };

/** undefined: the option cannot tell (or holds the packet); otherwise true/false for "holds it". */
function holds(m: MatchOption, packet: PacketFields, sets: readonly IpSet[]): boolean | undefined {
  const [v = ''] = m.values;
  switch (m.option) {
    case '-p': return v === 'all' ? true : (PROTOCOL_NUMBERS[v] ?? v.toLowerCase()) === packet.protocol;
    case '-d': return holdsAddress(v, packet.dst);
    case '-s': return packet.src === undefined ? undefined : holdsAddress(v, packet.src);
    case '--dport': case '--dports': return portsHold(v, packet.dport);
    case '--sport': case '--sports': return packet.sport === undefined ? undefined : portsHold(v, packet.sport);
    case '--match-set': {
      const set = sets.find((s) => s.name === v);
      if (set === undefined) return undefined;
      const { element, entry } = lookUpSet(set, m.values[1] ?? '', packet);
      return element === undefined ? undefined : entry !== undefined;
    }
    default: return undefined;
  }
}

const shown = (m: MatchOption): string => `${m.negated ? '! ' : ''}${[m.option, ...m.values].join(' ')}`;

/** Why our packet cannot match `rule` (the first match that excludes it), or undefined if it could. */
export function packetExcluded(rule: string, packet: PacketFields, sets: readonly IpSet[]): string | undefined {
  for (const m of ruleParts(rule).matches) {
    const held = holds(m, packet, sets);
    if (held === undefined || held !== m.negated) continue;
    const ours = `${packet.protocol} ${packet.src === undefined ? '' : `${packet.src}:${packet.sport ?? '?'} → `}${packet.dst}:${packet.dport}`;
    return `our request (${ours}) does not match \`${shown(m)}\`: other new connections moved it (nat counts a connection's first packet only)`;
  }
  return undefined;
}
