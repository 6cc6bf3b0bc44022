/**
 * A reload's IPVS changes, known before the kernel is read (pure): the difference between the plan of
 * the lab in force and the plan of the new one, as kube-proxy applies an endpoint change in its next
 * sync without re-reading everything. The daemon writes them at once; the full reconcile that follows
 * checks and repairs anything the kernel holds otherwise. A TCP real server that leaves is not among
 * them: the reconcile drains it (drain.ts). One that comes back while it drains is still in IPVS at
 * weight 0: its weight is edited (ipvsadm refuses to add a destination that exists).
 */
import type { Change } from '../kernel/changes.js';
import type { KernelState } from '../kernel/types.js';
import { diff } from './diff.js';
import type { DrainStarts } from './drain.js';
import { realServerId } from './keys.js';

const IPVS_KINDS = new Set<Change['kind']>(['vs-add', 'vs-edit', 'vs-del', 'rs-add', 'rs-edit', 'rs-del']);

export function reloadIpvsChanges(inForce: KernelState, next: KernelState, draining: DrainStarts = {}): Change[] {
  const asIfObserved = { ...inForce, sysctls: new Map(inForce.sysctls.map((s) => [s.key, s.value])) };
  return diff(next, asIfObserved)
    .filter((c) => IPVS_KINDS.has(c.kind) && !(c.kind === 'rs-del' && c.service.protocol === 'tcp'))
    .map((c): Change => (c.kind === 'rs-add' && Object.hasOwn(draining, realServerId(c.service, c.real))
      ? { kind: 'rs-edit', service: c.service, real: c.real, from: { ...c.real, weight: 0 } }
      : c));
}
