/** What a rule's target does ("-j X ..."), in words. Pure. */
import type { IptablesTable } from '../kernel/types.js';

const MARK_MEANINGS: Readonly<Record<number, string>> = { 0x4000: 'masquerade wanted', 0x8000: 'drop wanted' };
const hex = (n: number): string => `0x${n.toString(16)}`;
const meaning = (n: number): string => (MARK_MEANINGS[n] === undefined ? '' : ` (${MARK_MEANINGS[n]})`);

/** "--set-xmark V/M": mark = (mark AND NOT M) XOR V. */
function markAction(option: string, value: string): string {
  const [v = NaN, m = 0xffffffff] = value.split('/').map(Number);
  if (Number.isNaN(v) || Number.isNaN(m)) return `MARK ${option} ${value}`;
  if (option === '--set-xmark' || option === '--set-mark') {
    if (m === 0 && v !== 0) return `clears the mark ${hex(v)} (an xor: it was set)`;
    if (v === m) return `marks the packet ${hex(v)}${meaning(v)}`;
    if (v === 0) return `clears mark bits ${hex(m)}`;
    return m === 0xffffffff ? `sets the mark to ${hex(v)}` : `sets mark bits ${hex(v)} under mask ${hex(m)}`;
  }
  if (option === '--or-mark') return `marks the packet ${hex(v)}${meaning(v)}`;
  if (option === '--xor-mark') return `flips mark bits ${hex(v)}`;
  return `MARK ${option} ${value}`;
}

/** Chains whose role is known from their name (kube-proxy's and lvslab's share the suffixes). */
const CHAIN_ROLES: readonly (readonly [RegExp, string])[] = [
  [/-SERVICES$/, 'entry for service traffic'],
  [/-NODE-PORT$/, 'node-port rules'],
  [/-LOAD-BALANCER$/, 'load-balancer rules'],
  [/-MARK-MASQ$/, 'masquerade request (marks 0x4000)'],
  [/-MARK-DROP$/, 'drop request (marks 0x8000)'],
  [/-POSTROUTING$/, 'masquerade of marked packets'],
];

function owner(chain: string): string {
  if (chain.startsWith('KUBE-')) return "kube-proxy's ";
  return chain.startsWith('LVSLAB-') ? "lvslab's " : '';
}

function jumpAction(table: IptablesTable, chain: string, comment: string | undefined): string {
  if (table === 'filter' && chain === 'KUBE-FIREWALL') return "kubelet's firewall (drops packets marked 0x8000 and outside access to 127.0.0.0/8)";
  const role = table === 'nat' ? CHAIN_ROLES.find(([re]) => re.test(chain))?.[1] : undefined;
  if (role !== undefined) return `${owner(chain)}${role}`;
  return comment === undefined ? `continues in ${chain}` : `${comment} (continues in ${chain})`;
}

export interface TargetContext {
  readonly table: IptablesTable;
  /** The user chains of that table: a target among them is a jump, any other a target extension. */
  readonly userChains: ReadonlySet<string>;
  /** The rule's comment: the fallback for a jump into a chain of unknown role. */
  readonly comment?: string;
}

/** `target` with the words after it (["MASQUERADE", "--random-fully"]). */
export function explainTarget(target: readonly string[], ctx: TargetContext): string {
  const [name, ...words] = target;
  const option = (flag: string): string | undefined => {
    const i = words.indexOf(flag);
    return i < 0 ? undefined : words[i + 1];
  };
  switch (name) {
    case undefined: return 'counts only (no target)';
    case 'ACCEPT': return 'accepts the packet (no further rule of this table at this hook)';
    case 'DROP': return 'drops the packet';
    case 'RETURN': return 'returns to the calling chain';
    case 'REJECT': return `rejects the packet (${option('--reject-with') ?? 'icmp-port-unreachable'})`;
    case 'MASQUERADE': return `SNAT to the outgoing interface's address${words.includes('--random-fully') ? ', with a fully random source port' : ''}`;
    case 'SNAT': return `SNAT to ${option('--to-source') ?? '?'}`;
    case 'DNAT': return `DNAT to ${option('--to-destination') ?? '?'}`;
    case 'MARK': {
      const flag = words.find((w) => w.startsWith('--')) ?? '';
      return markAction(flag, option(flag) ?? '');
    }
    default:
      return ctx.userChains.has(name) ? jumpAction(ctx.table, name, ctx.comment) : [name, ...words].join(' ');
  }
}
