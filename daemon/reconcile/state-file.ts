/** The daemon's last results, written atomically for `lvslab up` (convergence) and `lvslab status`. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ReconcileResult } from './reconcile.js';

export interface DaemonState {
  readonly lab: string;
  readonly node: string;
  readonly pid: number;
  readonly runs: number;
  /** True when the last run ended with nothing left to change. */
  readonly converged: boolean;
  readonly last?: ReconcileResult;
  /** The last run that changed something (what drift repair did). */
  readonly lastChange?: ReconcileResult & { readonly at: string };
  /** Problems of the last reload that was refused (the previous lab stays in force). */
  readonly reloadProblems?: readonly string[];
  readonly updatedAt: string;
}

export async function writeState(path: string, state: DaemonState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 2));
  await rename(tmp, path);
}

export async function readState(path: string): Promise<DaemonState | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as DaemonState;
  } catch {
    return undefined;
  }
}
