/** sysctl-set changes → the arguments of one `sysctl -w`. Pure. */
import { ofKind, type Change } from '../changes.js';

/** ['-w', 'k=v', ...], or [] when there is no sysctl-set change. */
export function renderSysctlWrite(changes: readonly Change[]): string[] {
  const sets = ofKind(changes, 'sysctl-set');
  return sets.length === 0 ? [] : ['-w', ...sets.map((c) => `${c.sysctl.key}=${c.sysctl.value}`)];
}
