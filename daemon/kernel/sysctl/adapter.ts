/** Kernel parameters through sysctl: read with `sysctl KEY...`, write with one `sysctl -w k=v ...`. */
import type { Change } from '../changes.js';
import type { Runner } from '../runner.js';
import { parseSysctlOutput } from './parse.js';
import { renderSysctlWrite } from './render.js';

/**
 * A key that does not exist makes sysctl print "cannot stat" and exit non-zero while still printing the
 * others: procps-ng 4 exits 1 (captured on Debian 12), older procps 255.
 */
const MISSING_KEY_EXIT_CODES = [1, 255] as const;

export interface SysctlAdapter {
  /** Current values of `keys`; keys that do not exist are absent from the map. */
  observe(keys: readonly string[]): Promise<Map<string, string>>;
  /** Writes every sysctl-set change in one run; returns how many keys it wrote (0: nothing ran). */
  apply(changes: readonly Change[]): Promise<number>;
}

export function sysctlAdapter(runner: Runner): SysctlAdapter {
  return {
    async observe(keys) {
      if (keys.length === 0) return new Map();
      const { stdout } = await runner.run(['sysctl', ...keys], { okExitCodes: MISSING_KEY_EXIT_CODES });
      return parseSysctlOutput(stdout);
    },
    async apply(changes) {
      const args = renderSysctlWrite(changes);
      if (args.length === 0) return 0;
      await runner.run(['sysctl', ...args]);
      return args.length - 1;
    },
  };
}
