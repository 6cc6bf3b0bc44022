/** Kernel parameters through sysctl: read with `sysctl KEY...`, write with one `sysctl -w k=v ...`. */
import type { Change } from '../changes.js';
import type { Runner } from '../runner.js';
import { parseSysctlOutput } from './parse.js';
import { renderSysctlWrite } from './render.js';

import { ToolError } from '../tool-error.js';

/**
 * A key that does not exist makes sysctl print "cannot stat" and exit non-zero while still printing
 * the others: procps-ng exits with the number of keys it could not read (1 captured in the micro-VM,
 * 3 seen for three missing IPVS keys), older procps 255. Any exit code is accepted when every stderr
 * line is such a missing-key line; anything else is a failure.
 */
const ANY_EXIT_CODE = Array.from({ length: 256 }, (_, i) => i);
const MISSING_KEY = /^sysctl: cannot stat \/proc\/sys\/\S+: No such file or directory$/;

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
      const result = await runner.run(['sysctl', ...keys], { okExitCodes: ANY_EXIT_CODE });
      const unexpected = result.stderr.split('\n').filter((l) => l.trim() !== '' && !MISSING_KEY.test(l.trim()));
      if (result.exitCode !== 0 && (unexpected.length > 0 || result.stderr.trim() === '')) {
        throw new ToolError({ argv: result.argv, exitCode: result.exitCode, stderr: result.stderr, durationMs: result.durationMs, timedOut: false });
      }
      return parseSysctlOutput(result.stdout);
    },
    async apply(changes) {
      const args = renderSysctlWrite(changes);
      if (args.length === 0) return 0;
      await runner.run(['sysctl', ...args]);
      return args.length - 1;
    },
  };
}
