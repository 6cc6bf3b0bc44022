/**
 * verify's part for an HA lab: which director is master, that it alone holds the floating addresses,
 * that both directors hold the same IPVS services and real servers (each programmed by its own
 * lvslabd), and that IPVS's sync daemons follow VRRP's roles (master on the master, backup on the
 * other, with the lab's sync id), and that each director's conntrackd answers, with how many conntrack
 * entries it holds of its own and from the other director. Reading is done where both directors are reachable from here (the
 * one-box lab); judging is pure.
 */
import type { LabConfig } from '../config/types.js';
import { directorsOf } from '../ha/keepalived-conf.js';
import { parseConntrackdStats, type ConntrackdCaches } from '../ha/conntrackd-read.js';
import { judgeHolders, readHolding, type DirectorHolding } from '../ha/holders.js';
import { ipvsAdapter } from '../kernel/ipvs/index.js';
import { errorText } from '../kernel/tool-error.js';
import { realServerKey, virtualServiceKey, type VirtualService } from '../kernel/types.js';
import type { NodeAccess } from './facts.js';

export interface SyncDaemon {
  readonly role: 'master' | 'backup';
  readonly syncId: number;
  /** The link it sends or listens on (mcast=). */
  readonly link?: string;
}

/** One line of verify's HA section: what was found, and whether it is as it must be. */
export interface HaCheck {
  readonly ok: boolean;
  readonly text: string;
}

export interface HaReport {
  readonly ok: boolean;
  /** The director that holds every floating address; absent when none or both do. */
  readonly master?: string;
  readonly holdings: readonly DirectorHolding[];
  readonly checks: readonly HaCheck[];
}

export interface HaDirectorFacts {
  readonly node: string;
  readonly holding: DirectorHolding;
  /** The lab's IPVS services on this director (by the lab's VIPs). */
  readonly ipvs: readonly VirtualService[];
  readonly syncDaemons: readonly SyncDaemon[];
  /** Its conntrackd's cache sizes, or why it did not answer. */
  readonly conntrackd: ConntrackdCaches | { readonly error: string };
}

const DAEMON_LINE = /^(master|backup) sync daemon \((.*)\)$/;

/** `ipvsadm -L --daemon`: one line per running sync daemon, e.g. "master sync daemon (mcast=eth0, syncid=51, …)". */
export function parseSyncDaemons(text: string): SyncDaemon[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '').map((line) => {
    const m = DAEMON_LINE.exec(line);
    const fields = new Map((m?.[2] ?? '').split(',').map((f) => f.trim().split('=') as [string, string]));
    const syncId = Number(fields.get('syncid'));
    if (m === null || !Number.isInteger(syncId)) throw new Error(`ipvsadm -L --daemon: unexpected line ${JSON.stringify(line)}`);
    const link = fields.get('mcast');
    return { role: m[1] as 'master' | 'backup', syncId, ...(link === undefined ? {} : { link }) };
  });
}

/** Services and real servers as a set of keys (weights aside: a health transition may be a run apart on the two). */
const tableKeys = (ipvs: readonly VirtualService[]): string[] =>
  ipvs.flatMap((s) => [`${virtualServiceKey(s)} ${s.scheduler}`, ...s.realServers.map((r) => `${virtualServiceKey(s)} -> ${realServerKey(r)} ${r.forwarding}`)]).sort();

export function judgeHa(lab: LabConfig, facts: readonly HaDirectorFacts[]): HaReport {
  const ha = lab.ha;
  if (ha === undefined) throw new Error(`lab ${lab.lab} has no ha key`);
  const holders = judgeHolders(lab, facts.map((f) => f.holding));
  const checks: HaCheck[] = [];
  if (holders.ok) {
    const others = facts.filter((f) => f.node !== holders.master).map((f) => f.node).join(', ');
    checks.push({ ok: true, text: `${holders.master} is master: it holds ${holders.holdings.find((h) => h.node === holders.master)!.holds.join(', ')}; ${others} none` });
  } else {
    checks.push({ ok: false, text: `keepalived's addresses: ${holders.reason}` });
  }
  const [a, b] = facts as [HaDirectorFacts, HaDirectorFacts];
  const [ka, kb] = [tableKeys(a.ipvs), tableKeys(b.ipvs)];
  const onlyA = ka.filter((k) => !kb.includes(k));
  const onlyB = kb.filter((k) => !ka.includes(k));
  const services = a.ipvs.length;
  const reals = a.ipvs.reduce((n, s) => n + s.realServers.length, 0);
  checks.push(onlyA.length + onlyB.length === 0
    ? { ok: true, text: `${a.node} and ${b.node} hold the same IPVS services and real servers (${services} service(s), ${reals} real server(s))` }
    : { ok: false, text: `${a.node} and ${b.node} differ in IPVS: ${[...onlyA.map((k) => `only on ${a.node}: ${k}`), ...onlyB.map((k) => `only on ${b.node}: ${k}`)].join('; ')}` });
  if (holders.ok) {
    for (const f of facts) {
      const want = f.node === holders.master ? 'master' : 'backup';
      const has = f.syncDaemons.find((d) => d.role === want && d.syncId === ha.virtualRouterId);
      const running = f.syncDaemons.map((d) => `${d.role} (syncid ${d.syncId}${d.link ? `, ${d.link}` : ''})`).join(', ') || 'none';
      checks.push(has !== undefined
        ? { ok: true, text: `${f.node} runs IPVS's ${want} sync daemon (syncid ${ha.virtualRouterId}${has.link ? ` on ${has.link}` : ''})` }
        : { ok: false, text: `${f.node} should run IPVS's ${want} sync daemon with syncid ${ha.virtualRouterId}; running: ${running}` });
    }
  }
  for (const f of facts) {
    const peer = facts.find((o) => o.node !== f.node)?.node ?? 'the other director';
    checks.push('error' in f.conntrackd
      ? { ok: false, text: `${f.node}'s conntrackd does not answer: ${f.conntrackd.error}` }
      : { ok: true, text: `${f.node}'s conntrackd holds ${f.conntrackd.internal} conntrack entries of its own flows and ${f.conntrackd.external} from ${peer}` });
  }
  return { ok: checks.every((c) => c.ok), ...(holders.ok ? { master: holders.master } : {}), holdings: holders.holdings, checks };
}

/**
 * Reads each director's link, IPVS table, sync daemons and conntrackd (`conntrackdConf` gives the path of
 * a director's conntrackd.conf, which says where its socket is); undefined (with a note) where a
 * director is another machine.
 */
export async function readHa(lab: LabConfig, access: NodeAccess, link: string, conntrackdConf: (node: string) => string, notes: string[]): Promise<HaReport | undefined> {
  const directors = directorsOf(lab);
  if (directors.some((d) => access.placeOf?.(d.name) === 'remote')) {
    notes.push('ha: the directors are other machines; who is master and their sync daemons were not read');
    return undefined;
  }
  const vips = new Set(lab.virtualServers.map((vs) => vs.vip));
  try {
    const facts = await Promise.all(directors.map(async (d): Promise<HaDirectorFacts> => {
      const runner = access.runnerFor(d.name);
      const [holding, ipvs, daemons, conntrackd] = await Promise.all([
        readHolding(lab, d.name, runner, link),
        ipvsAdapter(runner).observe((s) => vips.has(s.address)),
        runner.run(['ipvsadm', '-L', '--daemon']),
        runner.run(['conntrackd', '-C', conntrackdConf(d.name), '-s']).then((r) => parseConntrackdStats(r.stdout), (e: unknown) => ({ error: errorText(e).split('\n', 1)[0] ?? '' })),
      ]);
      return { node: d.name, holding, ipvs, syncDaemons: parseSyncDaemons(daemons.stdout), conntrackd };
    }));
    return judgeHa(lab, facts);
  } catch (e) {
    notes.push(`ha: not read: ${errorText(e)}`);
    return undefined;
  }
}
