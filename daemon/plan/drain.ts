/**
 * Graceful removal of real servers, the way kube-proxy's graceful termination does it (pure). A real
 * server the plan no longer wants (gone from the lab, or down with onFailure remove) is not deleted at
 * once: first its weight goes to 0 (no new connections), then it is deleted once its connections
 * (ActiveConn + InActConn) reach 0, or once it has been at weight 0 for the drain timeout.
 *
 * UDP real servers are deleted at once: UDP has no end of connection to wait for, and with
 * net.ipv4.vs.expire_nodest_conn=1 (the director sets it) IPVS expires their entries as soon as a
 * packet finds its destination gone. Deleting a whole virtual service (vs-del) is not drained.
 *
 * The start times live in the caller's memory (a plain record: it goes into the state file as JSON).
 */
import type { Change } from '../kernel/changes.js';
import type { RealServerConnections } from '../kernel/ipvs/index.js';
import { realServerId } from './keys.js';

export interface Connections {
  readonly active: number;
  readonly inactive: number;
}

/** Epoch milliseconds at which each draining real server (by realServerId) went to weight 0. */
export type DrainStarts = Readonly<Record<string, number>>;

export interface DrainingServer {
  readonly key: string;
  /** When it went to weight 0 (ISO 8601). */
  readonly since: string;
  /** When it is deleted even with connections left (ISO 8601). */
  readonly deadline: string;
  /** Its connections at the last look; absent when they were not read (it has just gone to weight 0). */
  readonly connections?: Connections;
}

export interface DrainInput {
  readonly changes: readonly Change[];
  /** Counts by realServerId as `ipvsadm -Ln` gave them; undefined when they were not read. */
  readonly connections: ReadonlyMap<string, Connections> | undefined;
  readonly drainStarts: DrainStarts;
  /** Epoch milliseconds. */
  readonly now: number;
  /** The lab's drain.timeout; 0 deletes at once. */
  readonly timeoutMs: number;
}

export interface DrainOutput {
  readonly changes: Change[];
  /** Only the real servers still draining after these changes. */
  readonly drainStarts: DrainStarts;
  readonly draining: DrainingServer[];
}

type RsDel = Extract<Change, { kind: 'rs-del' }>;

const keyOf = (c: RsDel): string => realServerId(c.service, c.real);
const drains = (c: Change, timeoutMs: number): c is RsDel => c.kind === 'rs-del' && c.service.protocol === 'tcp' && timeoutMs > 0;

/** True when applyDrain needs connection counts: a TCP real server to delete is already at weight 0. */
export const needsConnections = (changes: readonly Change[], timeoutMs: number): boolean =>
  changes.some((c) => drains(c, timeoutMs) && c.real.weight === 0);

/** The virtual addresses whose counts applyDrain needs (what to ask `ipvsadm -Ln` about). */
export const drainedVips = (changes: readonly Change[], timeoutMs: number): Set<string> =>
  new Set(changes.filter((c): c is RsDel => drains(c, timeoutMs)).map((c) => c.service.address));

export const connectionsById = (list: readonly RealServerConnections[]): Map<string, Connections> =>
  new Map(list.map((c) => [realServerId(c.service, c.real), { active: c.active, inactive: c.inactive }]));

/** The changes with every rs-del of a real server that is draining taken out (for "still differ"). */
export const withoutDraining = (changes: readonly Change[], starts: DrainStarts): Change[] =>
  changes.filter((c) => !(c.kind === 'rs-del' && Object.hasOwn(starts, keyOf(c))));

export function applyDrain(input: DrainInput): DrainOutput {
  const { now, timeoutMs } = input;
  const starts: Record<string, number> = {};
  const draining: DrainingServer[] = [];
  const hold = (key: string, since: number, connections?: Connections): void => {
    starts[key] = since;
    const times = { since: new Date(since).toISOString(), deadline: new Date(since + timeoutMs).toISOString() };
    draining.push({ key, ...times, ...(connections === undefined ? {} : { connections }) });
  };
  const changes = input.changes.flatMap((c): Change[] => {
    if (!drains(c, timeoutMs)) return [c];
    const key = keyOf(c);
    if (c.real.weight > 0) {
      hold(key, now);
      return [{ kind: 'rs-edit', service: c.service, real: { ...c.real, weight: 0 }, from: c.real }];
    }
    const since = Object.hasOwn(input.drainStarts, key) ? (input.drainStarts[key] ?? now) : now;
    const counts = input.connections === undefined ? undefined : (input.connections.get(key) ?? { active: 0, inactive: 0 });
    const idle = counts !== undefined && counts.active + counts.inactive === 0;
    if (idle || now - since >= timeoutMs) return [c];
    hold(key, since, counts);
    return [];
  });
  return { changes, drainStarts: starts, draining };
}
