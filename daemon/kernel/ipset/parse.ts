/** `ipset save` → sets with their create options and members. Pure. */
import type { IpSet } from '../types.js';
import { textLines } from '../batch.js';

/** Create options that stand alone (no value follows them). */
const FLAG_OPTIONS = new Set(['counters', 'comment', 'skbinfo', 'forceadd', 'bucketsize-auto']);

interface Draft { name: string; type: string; options: Record<string, string>; entries: string[] }

const fail = (line: string, why: string): never => {
  throw new Error(`ipset save: ${why} in line: ${line}`);
};

/** "k v k v flag ..." → a record in the order printed; a flag gets the value ''. */
function readOptions(tokens: readonly string[], line: string): Record<string, string> {
  const options: Record<string, string> = {};
  for (let i = 0; i < tokens.length; i++) {
    const key = tokens[i] ?? '';
    if (FLAG_OPTIONS.has(key)) options[key] = '';
    else options[key] = tokens[++i] ?? fail(line, `missing value for ${key}`);
  }
  return options;
}

function create(tokens: readonly string[], line: string): Draft {
  const [, name, type, ...rest] = tokens;
  if (name === undefined || type === undefined) return fail(line, 'create without name and type');
  return { name, type, options: readOptions(rest, line), entries: [] };
}

export function parseIpsetSave(text: string): IpSet[] {
  const sets = new Map<string, Draft>();
  for (const line of textLines(text)) {
    const tokens = line.trim().split(/\s+/);
    const [command, name] = tokens;
    if (command === 'create') {
      const draft = create(tokens, line);
      sets.set(draft.name, draft);
    } else if (command === 'add' && name !== undefined && tokens.length > 2) {
      const set = sets.get(name) ?? fail(line, `add to unknown set ${name}`);
      set.entries.push(tokens.slice(2).join(' '));
    } else fail(line, 'unknown command');
  }
  return [...sets.values()];
}

/**
 * Options the kernel grows as a set fills and never shrinks: the observed value may be larger than
 * the one the set was created with (a hash created at hashsize 1024 prints 4096 once it holds 10,000
 * entries). Equality would rebuild such a set on every run.
 */
const GROWN_OPTIONS = new Set(['hashsize']);

const sameOption = (key: string, desired: string, observed: string | undefined): boolean =>
  GROWN_OPTIONS.has(key) ? observed !== undefined && Number(observed) >= Number(desired) : observed === desired;

/** Same type, and every option the desired set names has the same value in the observed one (hashsize: at least it). */
export const sameIpSetDefinition = (desired: IpSet, observed: IpSet): boolean =>
  desired.type === observed.type && Object.entries(desired.options).every(([k, v]) => sameOption(k, v, observed.options[k]));

/** Same members, in any order (`ipset save` does not keep insertion order). */
export function sameIpSetEntries(a: Pick<IpSet, 'entries'>, b: Pick<IpSet, 'entries'>): boolean {
  const inB = new Set(b.entries);
  return new Set(a.entries).size === inB.size && a.entries.every((e) => inB.has(e));
}
