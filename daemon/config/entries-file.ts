/**
 * Blocklist entries read from a file (`entriesFile:`, relative to the lab file): one entry per line,
 * `#` starts a comment, blank lines are skipped. loadLab resolves each into the blocklist's
 * `entries` before the schema and the checks run, and keeps where every entry came from, so that a
 * bad one is reported as FILE:LINE under `blocklists[i].entriesFile`. parseLab (no file system)
 * leaves them unresolved, and the checks say so.
 */
import { dirname, resolve } from 'node:path';
import type { ConfigProblem } from './types.js';
import { isMapping, list, own, problem } from './problems.js';
import { readTextFile } from './read-text.js';
import { MAX_ENTRIES_FILE_BYTES, mib } from './limits.js';

/** Where the entries of one blocklist came from: the file as the lab names it, and each entry's line. */
export interface EntriesSource {
  readonly file: string;
  readonly lines: readonly number[];
}

/** Blocklist index → the file its entries were read from. */
export type EntriesSources = ReadonlyMap<number, EntriesSource>;

export interface ResolvedEntries {
  /** The lab data with each readable entriesFile replaced by the entries it holds. */
  readonly data: unknown;
  readonly sources: EntriesSources;
  readonly problems: ConfigProblem[];
}

/** Each entry of `text` with its line number (1-based). */
export function entriesOf(text: string): { entries: string[]; lines: number[] } {
  const entries: string[] = [];
  const lines: number[] = [];
  let number = 0;
  for (const raw of text.split('\n')) {
    number++;
    const hash = raw.indexOf('#');
    const entry = (hash === -1 ? raw : raw.slice(0, hash)).trim();
    if (entry === '') continue;
    entries.push(entry);
    lines.push(number);
  }
  return { entries, lines };
}

/**
 * Read every blocklist's entriesFile (relative to `labPath`'s folder). A blocklist that also has
 * `entries`, or whose entriesFile is not a string, is left as it is: the checks report it.
 */
export async function resolveEntriesFiles(data: unknown, labPath: string): Promise<ResolvedEntries> {
  const blocklists = list(own(data, 'blocklists'));
  const sources = new Map<number, EntriesSource>();
  const problems: ConfigProblem[] = [];
  if (!isMapping(data) || !blocklists.some((bl) => own(bl, 'entriesFile') !== undefined)) return { data, sources, problems };
  let budget = MAX_ENTRIES_FILE_BYTES;
  const resolved: unknown[] = [];
  for (const [i, bl] of blocklists.entries()) {
    const file = own(bl, 'entriesFile');
    if (!isMapping(bl) || typeof file !== 'string' || file === '' || own(bl, 'entries') !== undefined) {
      resolved.push(bl);
      continue;
    }
    const read = await readTextFile(resolve(dirname(labPath), file), budget, `the entries file ${file}`);
    if (!read.ok) {
      problems.push(problem(['blocklists', i, 'entriesFile'], file, read.tooBig === undefined ? read.reason : tooBig(read.tooBig, budget)));
      resolved.push(bl);
      continue;
    }
    budget -= read.bytes;
    const { entries, lines } = entriesOf(read.text);
    sources.set(i, { file, lines });
    const { entriesFile: _file, ...rest } = bl;
    resolved.push({ ...rest, entries });
  }
  return { data: { ...data, blocklists: resolved }, sources, problems };
}

function tooBig(size: string, left: number): string {
  const others = left === MAX_ENTRIES_FILE_BYTES ? '' : ` (the entries files before it took all but ${left})`;
  return (
    `the entries file is ${size}${others}; the entries files of a lab are limited to ${MAX_ENTRIES_FILE_BYTES} bytes ` +
    `(${mib(MAX_ENTRIES_FILE_BYTES)}) together: write networks instead of their addresses (type hash:net), or split the lab`
  );
}
