/**
 * What `lvslab drill failover` measured, judged and rendered (pure): how long the backup took to hold
 * the floating addresses, whether any sample showed both directors with the VIP, the outage new
 * connections saw, whether every established connection went on, and whether the old master took the
 * VIP back when it returned (it must not without preemption, and must with it).
 */
import type { DrillAgentResult } from './drill-agent.js';

export const DRILL_WAYS = ['keepalived', 'link'] as const;
/** keepalived: the master's keepalived stopped (SIGTERM, as systemctl stop does); link: its lab link set down. */
export type DrillWay = (typeof DRILL_WAYS)[number];

/** An address added to or deleted from a director's lab link, as `ip monitor address` reported it. */
export interface AddressEvent {
  readonly node: string;
  /** ms after the failover's start (ha-drill.ts: the first change after the master was taken away). */
  readonly at: number;
  readonly added: boolean;
  readonly ip: string;
}

/**
 * One line of `ip monitor address` ("[Deleted ]2: eth0    inet 10.10.0.1/32 scope global eth0") on
 * `link`; undefined for others (inet6, valid_lft lines). With `ip -ts` run under TZ=UTC, the line starts
 * with the time ip printed it ("[2026-12-03T18:07:07.630309] "): `stampedMs` is that time, epoch ms
 * on the printing machine's clock.
 */
export function parseAddressLine(line: string, link: string): { readonly added: boolean; readonly ip: string; readonly stampedMs?: number } | undefined {
  const m = /^(?:\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)\] )?(Deleted )?\d+: (\S+)\s+inet ([0-9.]+)\//.exec(line);
  if (m === null || m[3] !== link) return undefined;
  const stampedMs = m[1] === undefined ? undefined : Date.parse(`${m[1]}Z`);
  return { added: m[2] === undefined, ip: m[4]!, ...(stampedMs === undefined || Number.isNaN(stampedMs) ? {} : { stampedMs }) };
}

/**
 * From the address events of both directors (the master `from` holding everything before): when `to`
 * came to hold every floating address, and at how many events the VIP was on both.
 */
export function movesOf(events: readonly AddressEvent[], floating: readonly string[], vip: string, from: string, to: string): { movedMs?: number; bothHeld: number } {
  const held = new Map<string, Set<string>>([[from, new Set(floating)], [to, new Set()]]);
  let movedMs: number | undefined;
  let bothHeld = 0;
  for (const e of events) {
    const set = held.get(e.node);
    if (set === undefined) continue;
    if (e.added) set.add(e.ip);
    else set.delete(e.ip);
    if (held.get(from)!.has(vip) && held.get(to)!.has(vip)) bothHeld += 1;
    if (movedMs === undefined && floating.every((ip) => held.get(to)!.has(ip))) movedMs = e.at;
  }
  return { ...(movedMs === undefined ? {} : { movedMs }), bothHeld };
}

export interface NewConnections {
  readonly sent: number;
  readonly failed: number;
  /** From the first failed request sent around the failover to the first answered one after the last failure (0: none failed). */
  readonly outageMs: number;
}

export interface DrillReport {
  readonly lab: string;
  readonly way: DrillWay;
  readonly from: string;
  readonly to: string;
  /**
   * ms from the failover's start, the first change of a floating address on either director after the
   * master was taken away (the master dropping them, or the backup taking them), until `to` held every
   * floating address (absent: it never did).
   */
  readonly movedMs?: number;
  /** ms from the command that took the master away (sent from here) to that first change (absent: none seen). */
  readonly firstChangeMs?: number;
  /** Address changes seen on the two directors' lab links (ip monitor address), from the takeover to 2 s after it. */
  readonly addressEvents: number;
  /** Those changes, in the order of their times (`at`: ms after the first), for a reader of --json. */
  readonly changes: readonly AddressEvent[];
  /** Of those, the ones after which both directors held the VIP. */
  readonly bothHeld: number;
  readonly newConnections: NewConnections;
  readonly established: {
    readonly held: number;
    /** Of the IPVS connections to the VIP, those the backup's sync daemon held before the failover (ESTABLISHED). */
    readonly copiedToBackup: number;
    /** ESTABLISHED entries to the VIP in the backup's conntrackd external cache before the failover: what its commit puts in its kernel. */
    readonly inBackupConntrackd: number;
    /** Held connections that answered after the failover: all of them, or the drill fails. */
    readonly survived: number;
    readonly errors: readonly string[];
  };
  /**
   * The old master back: who was master 3 adverts and 2 s later, and who should be: the old master only
   * when preemption is on and its priority is the higher one.
   */
  readonly returned: { readonly preempt: boolean; readonly expected: string; readonly master?: string; readonly ok: boolean };
  readonly ok: boolean;
}

/** The new connections' outage around `takenAt` (ms on the agent's timeline). */
export function outageOf(timeline: DrillAgentResult['timeline'], takenAt: number): NewConnections {
  const sent = timeline.length;
  const failed = timeline.filter((r) => !r.ok).length;
  // a request sent up to its 1 s timeout before the master went may fail because of it
  const around = timeline.filter((r) => r.at >= takenAt - 1000);
  const firstFail = around.find((r) => !r.ok);
  if (firstFail === undefined) return { sent, failed, outageMs: 0 };
  const lastFail = [...around].reverse().find((r) => !r.ok)!;
  const back = around.find((r) => r.ok && r.at > lastFail.at);
  return { sent, failed, outageMs: (back?.at ?? lastFail.at) - firstFail.at };
}

export function judgeDrill(parts: Omit<DrillReport, 'ok'>): DrillReport {
  const ok = parts.movedMs !== undefined && parts.bothHeld === 0 && parts.established.survived === parts.established.held && parts.returned.ok;
  return { ...parts, ok };
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export function renderDrill(r: DrillReport): string {
  const how = r.way === 'keepalived' ? `its keepalived stopped (SIGTERM)` : 'its lab link set down';
  const e = r.established;
  const why = r.returned.expected === r.from ? 'preempt on, and the higher priority' : r.returned.preempt ? 'preempt on, but the lower priority' : 'no preemption';
  const returned = `${r.from} back: ${r.returned.master ?? 'no director'} is master (${why}: ${r.returned.expected} expected) ${r.returned.ok ? '✓' : '✗'}`;
  return [
    `lvslab drill failover: lab ${r.lab}, master ${r.from} taken away: ${how}`,
    r.movedMs === undefined ? `  ✗ ${r.to} never held the floating addresses` :
      `  ${r.to} held the floating addresses ${s(r.movedMs)} after the first address change ✓` +
      (r.firstChangeMs === undefined ? '' : ` (which came ${s(r.firstChangeMs)} after the command that took ${r.from} away)`),
    `  both directors held the VIP after ${r.bothHeld} of ${r.addressEvents} address changes on their lab links (ip monitor address) ${r.bothHeld === 0 ? '✓' : '✗'}`,
    `  new connections: ${r.newConnections.failed} of ${r.newConnections.sent} failed; outage ${s(r.newConnections.outageMs)}`,
    `  established connections: ${e.survived} of ${e.held} answered after the failover (before it, ${r.to} held ${e.copiedToBackup} from the IPVS sync daemon ` +
      `and ${e.inBackupConntrackd} in conntrackd's external cache)` +
      (e.errors.length > 0 ? `; the others: ${[...new Set(e.errors)].join('; ')}` : '') + (e.survived === e.held ? ' ✓' : ' ✗'),
    `  ${returned}`,
    r.ok ? 'drill: PASS' : 'drill: FAIL',
  ].join('\n');
}

/**
 * IPVS connections in state ESTABLISHED to `vip:port` in `ipvsadm -L -n -c` ("pro expire state source
 * virtual destination", one connection a line): a director's own, or those its backup sync daemon copied.
 */
export function establishedTo(text: string, vip: string, port: number): number {
  return text.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length === 6 && f[2] === 'ESTABLISHED' && f[4] === `${vip}:${port}`).length;
}
