/** Changes → an `ipvsadm -R` batch. Pure. */
import { ofKind, type Change } from '../changes.js';
import type { Forwarding } from '../../config/types.js';
import type { RealServer, VirtualService } from '../types.js';
import { joinLines } from '../batch.js';
import { formatHostPort } from './address.js';

const FORWARDING_FLAGS: Readonly<Record<Forwarding, string>> = { nat: '-m', dr: '-g', tun: '-i' };

const svc = (s: VirtualService): string => `${s.protocol === 'tcp' ? '-t' : '-u'} ${formatHostPort(s.address, s.port)}`;
const serviceLine = (cmd: '-A' | '-E', s: VirtualService): string =>
  `${cmd} ${svc(s)} -s ${s.scheduler}${s.persistence === undefined ? '' : ` -p ${s.persistence}`}`;
const realTarget = (s: VirtualService, r: RealServer): string => `${svc(s)} -r ${formatHostPort(r.address, r.port)}`;
const realLine = (cmd: '-a' | '-e', s: VirtualService, r: RealServer): string =>
  `${cmd} ${realTarget(s, r)} ${FORWARDING_FLAGS[r.forwarding]} -w ${r.weight}`;

/** Order: rs-del, vs-del, vs-add, vs-edit, rs-add, rs-edit. '' when there is nothing for IPVS. */
export function renderIpvsRestore(changes: readonly Change[]): string {
  return joinLines([
    ...ofKind(changes, 'rs-del').map((c) => `-d ${realTarget(c.service, c.real)}`),
    ...ofKind(changes, 'vs-del').map((c) => `-D ${svc(c.service)}`),
    ...ofKind(changes, 'vs-add').map((c) => serviceLine('-A', c.service)),
    ...ofKind(changes, 'vs-edit').map((c) => serviceLine('-E', c.service)),
    ...ofKind(changes, 'rs-add').map((c) => realLine('-a', c.service, c.real)),
    ...ofKind(changes, 'rs-edit').map((c) => realLine('-e', c.service, c.real)),
  ]);
}
