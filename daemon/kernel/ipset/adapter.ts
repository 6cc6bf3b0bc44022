/** ipsets through ipset: observe with `ipset save`, apply with one `ipset restore -exist` batch per phase. */
import type { Change } from '../changes.js';
import type { Runner } from '../runner.js';
import type { IpSet } from '../types.js';
import { explainAtLine, runBatch } from '../batch.js';
import { parseIpsetSave } from './parse.js';
import { renderIpsetRestore, type IpsetPhase } from './render.js';

/** Options the kernel picks per run: never part of a definition lvslab compares. */
const VOLATILE_OPTIONS = new Set(['initval', 'bucketsize']);

export interface IpsetAdapter {
  /** Sets whose name starts with `prefix`, without the volatile options. */
  observe(prefix: string): Promise<IpSet[]>;
  /** Applies one phase; returns the number of batch lines sent (0: nothing ran). */
  apply(changes: readonly Change[], phase: IpsetPhase): Promise<number>;
}

const withoutVolatile = (set: IpSet): IpSet => ({
  ...set,
  options: Object.fromEntries(Object.entries(set.options).filter(([k]) => !VOLATILE_OPTIONS.has(k))),
});

export function ipsetAdapter(runner: Runner): IpsetAdapter {
  return {
    async observe(prefix) {
      const { stdout } = await runner.run(['ipset', 'save']);
      return parseIpsetSave(stdout).filter((s) => s.name.startsWith(prefix)).map(withoutVolatile);
    },
    // ipset says "Error in line N: ..." for the first failing line of the batch.
    apply: (changes, phase) =>
      runBatch(runner, ['ipset', 'restore', '-exist'], renderIpsetRestore(changes, phase), explainAtLine(/Error in line (\d+):/)),
  };
}
