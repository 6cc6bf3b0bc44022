/** Connection tracking through conntrack: list flows, delete flows. */
import type { Runner } from '../runner.js';
import { ToolError } from '../tool-error.js';
import { parseConntrack, type ConntrackFlow } from './parse.js';
import { renderConntrackFilter, type ConntrackFilter } from './render.js';

export interface ConntrackAdapter {
  /** `conntrack -L [-p P] [--dport N] [-d IP]`; no flow is not an error. */
  list(filter?: ConntrackFilter): Promise<ConntrackFlow[]>;
  /** `conntrack -D ...`; returns how many flows were deleted (0 when none matched). Refuses an empty filter. */
  deleteFlows(filter: ConntrackFilter): Promise<number>;
}

const DELETED = /(\d+) flow entries have been deleted/;

export function conntrackAdapter(runner: Runner): ConntrackAdapter {
  return {
    async list(filter) {
      const { stdout } = await runner.run(['conntrack', '-L', ...renderConntrackFilter(filter)]);
      return parseConntrack(stdout);
    },
    async deleteFlows(filter) {
      const args = renderConntrackFilter(filter);
      if (args.length === 0) throw new Error('conntrack: refusing to delete every flow (empty filter)');
      // conntrack -D exits 1 when nothing matched; it also exits 1 on real errors, told apart by stderr.
      const result = await runner.run(['conntrack', '-D', ...args], { okExitCodes: [1] });
      const deleted = DELETED.exec(result.stderr)?.[1];
      if (deleted === undefined && result.exitCode !== 0) {
        throw new ToolError({ argv: result.argv, exitCode: result.exitCode, stderr: result.stderr, durationMs: result.durationMs, timedOut: false });
      }
      return Number(deleted ?? 0);
    },
  };
}
