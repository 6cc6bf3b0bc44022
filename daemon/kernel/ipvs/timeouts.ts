/**
 * IPVS's connection timeouts: `ipvsadm -L --timeout` → tcp, tcpfin, udp seconds; ipvs-timeouts-set
 * changes → the arguments of `ipvsadm --set TCP TCPFIN UDP` (0 leaves a value as it is). Pure.
 */
import { ofKind, type Change } from '../changes.js';
import { textLines } from '../batch.js';
import { IPVS_TIMEOUT_FIELDS, type IpvsTimeouts } from '../types.js';

/** The lines `ipvsadm -L --timeout` prints (ipvsadm 1.31: exactly one), each with what it gives. */
const LINES: readonly { readonly pattern: RegExp; readonly read: (m: RegExpExecArray) => IpvsTimeouts }[] = [
  {
    pattern: /^Timeout \(tcp tcpfin udp\): (\d+) (\d+) (\d+)$/,
    read: (m) => ({ tcp: Number(m[1]), tcpFin: Number(m[2]), udp: Number(m[3]) }),
  },
];

const fail = (why: string): never => {
  throw new Error(`ipvsadm -L --timeout: ${why}`);
};

export function parseIpvsTimeouts(text: string): IpvsTimeouts {
  const found: IpvsTimeouts[] = [];
  for (const line of textLines(text)) {
    const hit = LINES.flatMap(({ pattern, read }) => {
      const m = pattern.exec(line.trim());
      return m === null ? [] : [read(m)];
    });
    found.push(...(hit.length > 0 ? hit : fail(`unknown line: ${line}`)));
  }
  const [timeouts] = found;
  if (timeouts === undefined || found.length > 1) return fail(`expected one "Timeout (tcp tcpfin udp):" line, found ${found.length}`);
  return timeouts;
}

/** ['--set', TCP, TCPFIN, UDP] for the last ipvs-timeouts-set change (there is at most one), or []. */
export function renderIpvsTimeoutsSet(changes: readonly Change[]): string[] {
  const set = ofKind(changes, 'ipvs-timeouts-set').at(-1);
  return set === undefined ? [] : ['--set', ...IPVS_TIMEOUT_FIELDS.map((f) => String(set.timeouts[f] ?? 0))];
}
