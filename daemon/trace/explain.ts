/**
 * One line of words per iptables rule (normal form of `iptables-save`): what its matches test, then
 * what its target does. Options it does not know are named as they are, never dropped. Pure.
 */
import type { IpSet, IptablesTable } from '../kernel/types.js';
import { lookUpSet, type PacketFields } from './set-match.js';
import { explainTarget } from './target.js';

export interface ExplainContext {
  readonly table: IptablesTable;
  /** The user chains of that table. */
  readonly userChains: ReadonlySet<string>;
  /** The director's `ipset save`. */
  readonly sets: readonly IpSet[];
  /** Our request's packet as the client sent it (sets are looked up in it). */
  readonly packet: PacketFields;
}

/** Words of a rule; a double-quoted string (a comment) is one word, without its quotes. */
export function ruleWords(rule: string): string[] {
  const words: string[] = [];
  for (const m of rule.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) words.push(m[1] === undefined ? (m[2] ?? '') : m[1].replace(/\\(.)/g, '$1'));
  return words;
}

function setCondition(name: string, flags: string, negated: boolean, ctx: ExplainContext): string {
  const head = `${negated ? 'not in' : 'matched'} set ${name} (${flags})`;
  const set = ctx.sets.find((s) => s.name === name);
  if (set === undefined) return `${head}, which the director's ipset save does not list`;
  const { element, entry } = lookUpSet(set, flags, ctx.packet);
  if (entry !== undefined) return negated ? `${head} — but it holds ${entry}` : `${head} — which holds ${entry}`;
  if (element === undefined) return `${head}, ${entries(set.entries.length)}`;
  return `${head} — which holds no entry for ${element} (${entries(set.entries.length)})`;
}

const entries = (n: number): string => `${n} ${n === 1 ? 'entry' : 'entries'}`;
const not = (negated: boolean): string => (negated ? 'not ' : '');

/** The condition one match option states; undefined for words that state none (-m NAME, comments). */
function condition(option: string, values: readonly string[], negated: boolean, ctx: ExplainContext, proto: string | undefined): string | undefined {
  const [v = ''] = values;
  switch (option) {
    case '-m': case '--comment': return undefined;
    case '-s': return `${not(negated)}from ${v}`;
    case '-d': return `${not(negated)}to ${v}`;
    case '-i': return `${not(negated)}in on ${v}`;
    case '-o': return `${not(negated)}out on ${v}`;
    case '-p': return undefined; // said with the ports, or alone below
    case '--dport': case '--dports': return `${proto ?? ''} destination port ${not(negated)}${v}`.trim();
    case '--sport': case '--sports': return `${proto ?? ''} source port ${not(negated)}${v}`.trim();
    case '--dst-type': return v === 'LOCAL' ? `the destination is ${not(negated)}an address of this node` : `the destination's address type is ${not(negated)}${v}`;
    case '--src-type': return v === 'LOCAL' ? `the source is ${not(negated)}an address of this node` : `the source's address type is ${not(negated)}${v}`;
    case '--match-set': return setCondition(v, values[1] ?? '', negated, ctx);
    case '--ctstate': case '--state': return `connection state ${not(negated)}${v}`;
    case '--mark': return `the packet does ${negated ? 'not ' : ''}carry mark ${v}`;
    case '--ipvs': return negated ? 'not handled by IPVS' : 'handled by IPVS';
    case '--vaddr': return `IPVS virtual address ${not(negated)}${v}`;
    case '--vport': return `IPVS virtual port ${not(negated)}${v}`;
    default: return `${negated ? '! ' : ''}${[option, ...values].join(' ')}`;
  }
}

export interface MatchOption { readonly option: string; readonly values: string[]; readonly negated: boolean }

/** The match part (before -j/-g) as options with their values. */
function options(words: readonly string[]): MatchOption[] {
  const out: MatchOption[] = [];
  let negated = false;
  for (const word of words) {
    const last = out.at(-1);
    if (word === '!') negated = true;
    else if (word.startsWith('-') && !/^-\d/.test(word)) {
      out.push({ option: word, values: [], negated });
      negated = false;
    } else if (last !== undefined) last.values.push(word);
  }
  return out;
}

/** A rule's match options and its target's words. */
export function ruleParts(rule: string): { matches: MatchOption[]; target: string[] } {
  const words = ruleWords(rule);
  const jump = words.findIndex((w) => w === '-j' || w === '-g');
  return { matches: options(jump < 0 ? words : words.slice(0, jump)), target: jump < 0 ? [] : words.slice(jump + 1) };
}

export function explainRule(rule: string, ctx: ExplainContext): string {
  const { matches, target } = ruleParts(rule);
  const proto = matches.find((m) => m.option === '-p')?.values[0];
  const comment = matches.find((m) => m.option === '--comment')?.values.join(' ');
  const conditions = matches.flatMap((m) => condition(m.option, m.values, m.negated, ctx, proto) ?? []);
  const hasPorts = matches.some((m) => /^--[ds]ports?$/.test(m.option));
  const protoNeg = matches.find((m) => m.option === '-p')?.negated ?? false;
  if (proto !== undefined && !hasPorts) conditions.unshift(`protocol ${not(protoNeg)}${proto}`);
  const action = explainTarget(target, { table: ctx.table, userChains: ctx.userChains, ...(comment === undefined ? {} : { comment }) });
  return conditions.length === 0 ? action : `${conditions.join(', ')} → ${action}`;
}
