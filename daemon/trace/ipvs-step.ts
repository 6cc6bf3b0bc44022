/**
 * IPVS stats before/after → the step where IPVS took the request: the service whose connection count
 * moved and the real server it chose (our conntrack entry's reply source when known, else the one
 * real server whose count moved). Pure.
 */
import { formatHostPort } from '../kernel/ipvs/address.js';
import type { IpvsCounters, IpvsServiceStats } from '../kernel/ipvs/parse-stats.js';
import type { Forwarding } from '../config/types.js';
import type { HookIpvs } from './hooks.js';
import type { TraceInput, TraceStep } from './types.js';

export type StepDraft = Omit<TraceStep, 'n'>;

const ZERO: IpvsCounters = { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
const minus = (a: IpvsCounters, b: IpvsCounters = ZERO): IpvsCounters => ({
  conns: a.conns - b.conns, inPkts: a.inPkts - b.inPkts, outPkts: a.outPkts - b.outPkts,
  inBytes: a.inBytes - b.inBytes, outBytes: a.outBytes - b.outBytes,
});
const same = (a: { address: string; port: number }, b: { address: string; port: number }): boolean =>
  a.address === b.address && a.port === b.port;
const name = (s: Pick<IpvsServiceStats, 'protocol' | 'address' | 'port'>): string => `${s.protocol} ${formatHostPort(s.address, s.port)}`;

const HOOK_WORDS: Readonly<Record<HookIpvs['hook'], string>> = {
  LOCAL_IN: 'IPVS takes the request at LOCAL_IN (after filter INPUT), DNATs it to the real server and sends it out through LOCAL_OUT',
  LOCAL_OUT: "IPVS takes the director's own request at LOCAL_OUT (after nat OUTPUT), DNATs it and sends it through LOCAL_OUT again",
};

/** How IPVS forwards to the real servers of DR and TUN services, in place of "DNATs it". */
const FORWARD_WORDS: Readonly<Record<'dr' | 'tun', string>> = {
  dr: 'IPVS takes the request at LOCAL_IN (after filter INPUT) and puts it back on the wire unchanged, in a frame to the real server\'s MAC (DR); the reply goes from the real server to the client, not through here',
  tun: 'IPVS takes the request at LOCAL_IN (after filter INPUT) and sends it inside an outer IP header to the real server (TUN, IP-in-IP); the reply goes from the real server to the client, not through here',
};

/** The forwarding of the real server at RIP:port of the service, from `ipvsadm -S` (undefined: not listed). */
function forwardingOf(input: TraceInput, service: IpvsServiceStats, real: string | undefined): Forwarding | undefined {
  const listed = input.ipvsServices?.find((s) => s.protocol === service.protocol && same(s, service));
  return listed?.realServers.find((r) => formatHostPort(r.address, r.port) === real)?.forwarding ?? listed?.realServers[0]?.forwarding;
}

/** "→ RIP:port", and for DR/TUN how the packet got there. */
function toReal(input: TraceInput, real: string | undefined, forwarding: Forwarding | undefined): string {
  const target = real ?? 'a real server (unknown)';
  if (forwarding === 'dr') {
    const ip = real?.slice(0, real.lastIndexOf(':'));
    const mac = ip === undefined ? undefined : input.neighbours?.[ip];
    return `${target}: MAC rewritten to ${mac ?? 'the real server\'s'}, the packet still to ${input.to.address}`;
  }
  if (forwarding === 'tun') return `${target}: encapsulated to ${real?.slice(0, real.lastIndexOf(':')) ?? 'the real server'}, the packet inside still to ${input.to.address}`;
  return target;
}

function chosenReal(input: TraceInput, service: IpvsServiceStats, notes: string[]): string | undefined {
  const before = input.ipvsBefore.find((s) => s.protocol === service.protocol && same(s, service));
  const moved = service.reals.filter((r) => minus(r.counters, before?.reals.find((b) => same(b, r))?.counters).conns > 0);
  const reply = input.flow?.reply;
  const fromFlow = reply?.sport === undefined ? undefined : service.reals.find((r) => same(r, { address: reply.src, port: reply.sport ?? 0 }));
  if (fromFlow !== undefined) {
    if (!moved.some((r) => same(r, fromFlow))) notes.push(`conntrack names ${formatHostPort(fromFlow.address, fromFlow.port)}, but its IPVS connection count did not move`);
    return formatHostPort(fromFlow.address, fromFlow.port);
  }
  const [only] = moved;
  if (moved.length === 1 && only !== undefined) return formatHostPort(only.address, only.port);
  if (moved.length > 1) notes.push(`${moved.length} real servers got new connections (other traffic too): without our conntrack entry the one that took ours is unknown`);
  return undefined;
}

export function ipvsStep(input: TraceInput, at: HookIpvs): StepDraft {
  const { to } = input;
  const wanted = { protocol: to.protocol, address: to.address, port: to.port };
  const service = input.ipvsAfter.find((s) => s.protocol === to.protocol && same(s, to));
  const notes = [HOOK_WORDS[at.hook]];
  const base = { kind: 'ipvs', depth: 0 } as const;
  if (service === undefined) {
    // before's counters by service, once: a director of n services costs O(n), not O(n²)
    const before = new Map(input.ipvsBefore.map((b) => [name(b), b.counters]));
    const others = input.ipvsAfter.filter((s) => minus(s.counters, before.get(name(s))).conns > 0);
    if (others.length > 0) notes.push(`new connections on other services: ${others.map(name).join(', ')}`);
    return { ...base, explanation: `IPVS has no service ${name(wanted)}`, notes };
  }
  const delta = minus(service.counters, input.ipvsBefore.find((b) => b.protocol === service.protocol && same(b, service))?.counters);
  const scheduler = input.ipvsServices?.find((s) => s.protocol === service.protocol && same(s, service))?.scheduler;
  const label = `IPVS ${name(service)}${scheduler === undefined ? '' : ` (${scheduler})`}`;
  const counts = { packets: delta.inPkts, bytes: delta.inBytes };
  if (delta.conns <= 0) return { ...base, ...counts, explanation: `${label}: no new connection — the request did not reach IPVS as a new connection`, notes };
  if (delta.conns > 1) notes.push(`${delta.conns - 1} other new connections to this service`);
  notes.push(`+${delta.outPkts} pkt/+${delta.outBytes} B back from the real servers`);
  const real = chosenReal(input, service, notes);
  const forwarding = forwardingOf(input, service, real);
  if (forwarding === 'dr' || forwarding === 'tun') notes[0] = FORWARD_WORDS[forwarding];
  return { ...base, ...counts, explanation: `${label} → ${toReal(input, real, forwarding)}`, notes };
}
