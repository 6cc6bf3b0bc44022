/** A Runner that counts failed runs per tool (lvslab_command_failures_total) and passes everything on. */
import type { Runner } from '../kernel/runner.js';
import { ToolError } from '../kernel/tool-error.js';
import { toolOf, type Metrics } from '../metrics/metrics.js';

export function countingRunner(runner: Runner, metrics: Pick<Metrics, 'recordCommandFailure'>): Runner {
  return {
    netns: runner.netns,
    async run(argv, options) {
      try {
        return await runner.run(argv, options);
      } catch (e) {
        if (e instanceof ToolError) metrics.recordCommandFailure(toolOf(e.argv));
        throw e;
      }
    },
  };
}
