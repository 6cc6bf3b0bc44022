/**
 * `lvslab trace`: one real TCP request from a node to IP:PORT, with the director read just before and
 * just after it (`iptables-save -c`, `ipvsadm -L -n --stats --exact`), then its conntrack entry. The
 * impure edge of daemon/trace; buildTrace (pure) turns the readings into steps.
 *
 * Per-flow packet counts need net.netfilter.nf_conntrack_acct=1 on the director when the flow starts:
 * if it is 0, trace sets it for the request and puts the old value back, and says so.
 */
import type { LabConfig } from '../config/types.js';
import { conntrackAdapter, type ConntrackFlow } from '../kernel/conntrack/index.js';
import { observeCounters, type ParsedTable } from '../kernel/iptables/index.js';
import { parseIpsetSave } from '../kernel/ipset/index.js';
import { IPVS_ESTIMATOR_MS, parseIpvsSave, parseIpvsStats } from '../kernel/ipvs/index.js';
import type { Runner } from '../kernel/runner.js';
import type { IptablesTable } from '../kernel/types.js';
import { directorOf, findNode } from '../plan/plan.js';
import { CURL_EXIT_CODES, curlArgv, parseCurl } from '../verify/curl.js';
import { buildTrace } from './trace.js';
import type { Destination, RequestOutcome, Trace } from './types.js';

const ACCT = 'net.netfilter.nf_conntrack_acct';
const TABLES: readonly IptablesTable[] = ['raw', 'mangle', 'nat', 'filter'];
/** curl --max-time of the traced request, in seconds. */
export const TRACE_TIMEOUT_S = 3;

export interface TraceRunners {
  readonly from: Runner;
  readonly director: Runner;
}

export interface TraceRun {
  readonly trace: Trace;
  /** What trace itself did to the director, one line each (the accounting switch). */
  readonly notes: readonly string[];
}

/** A source port for the request, so that its conntrack entry can be told from any other. */
const pickSourcePort = (): number => 40000 + Math.floor(Math.random() * 20000);

type IpvsStats = ReturnType<typeof parseIpvsStats>;

const ipvsStats = async (director: Runner): Promise<IpvsStats> =>
  parseIpvsStats((await director.run(['ipvsadm', '-L', '-n', '--stats', '--exact'])).stdout);

async function snapshot(director: Runner): Promise<{ tables: ParsedTable[]; ipvs: IpvsStats }> {
  // one iptables-save -c for every table: the four tables are read at the same instant
  const tables = (await observeCounters(director)).filter((t) => TABLES.includes(t.name));
  return { tables, ipvs: await ipvsStats(director) };
}

/**
 * `--stats` shows a new connection up to one estimator period late (IPVS_ESTIMATOR_MS). After a
 * request that got an answer, the stats are read again until the service's connection count moves,
 * for at most one estimator period and a bit.
 */
export const IPVS_STATS_SETTLE_MS = IPVS_ESTIMATOR_MS + 500;

async function settledIpvsStats(director: Runner, to: Destination, before: IpvsStats, waitFor: boolean): Promise<IpvsStats> {
  const conns = (stats: IpvsStats): number =>
    stats.find((s) => s.protocol === to.protocol && s.address === to.address && s.port === to.port)?.counters.conns ?? 0;
  const started = Date.now();
  let stats = await ipvsStats(director);
  while (waitFor && conns(stats) === conns(before) && Date.now() - started < IPVS_STATS_SETTLE_MS) {
    await new Promise((r) => setTimeout(r, 250));
    stats = await ipvsStats(director);
  }
  return stats;
}

async function request(from: Runner, to: Destination, sourcePort: number): Promise<RequestOutcome> {
  const argv = curlArgv(to.address, to.port, TRACE_TIMEOUT_S, sourcePort);
  const r = await from.run(argv, { okExitCodes: CURL_EXIT_CODES, timeoutMs: (TRACE_TIMEOUT_S + 20) * 1000 });
  const probe = parseCurl(r.stdout, r.exitCode, r.stderr);
  return probe.ok
    ? { ok: true, sourcePort, ...(probe.realServer === undefined ? {} : { answer: probe.realServer }) }
    : { ok: false, sourcePort, error: probe.error ?? `curl exit ${r.exitCode}` };
}

/** `ip -j neigh show` → IP → MAC (entries with an address only). */
async function neighboursOf(director: Runner): Promise<Record<string, string>> {
  const { stdout } = await director.run(['ip', '-j', 'neigh', 'show']);
  const list = (stdout.trim() === '' ? [] : JSON.parse(stdout)) as { dst?: string; lladdr?: string }[];
  return Object.fromEntries(list.flatMap((n) => (n.dst !== undefined && n.lladdr !== undefined ? [[n.dst, n.lladdr]] : [])));
}

/** Our request's entry: TCP to the destination port, from our source port. */
const ourFlow = (flows: readonly ConntrackFlow[], to: Destination, sourcePort: number): ConntrackFlow | undefined =>
  flows.find((f) => f.protocol === 'tcp' && f.original.dport === to.port && f.original.sport === sourcePort);

export async function runTrace(lab: LabConfig, fromNode: string, to: Destination, runners: TraceRunners): Promise<TraceRun> {
  if (to.protocol !== 'tcp') throw new Error(`trace sends one TCP request (curl); ${to.protocol} is not traced`);
  const director = directorOf(lab);
  findNode(lab, fromNode);
  const notes: string[] = [];
  const acct = (await runners.director.run(['sysctl', '-n', ACCT])).stdout.trim();
  if (acct === '0') {
    await runners.director.run(['sysctl', '-w', `${ACCT}=1`]);
    notes.push(`${ACCT} was 0 on ${director.name}: set to 1 for this request (per-flow packet counts), then back to 0`);
  }
  try {
    const [ipsetSave, ipvsSave] = [
      (await runners.director.run(['ipset', 'save'])).stdout,
      (await runners.director.run(['ipvsadm', '-S', '-n'])).stdout,
    ];
    const sourcePort = pickSourcePort();
    const before = await snapshot(runners.director);
    const outcome = await request(runners.from, to, sourcePort);
    const afterTables = (await observeCounters(runners.director)).filter((t) => TABLES.includes(t.name));
    const after = { tables: afterTables, ipvs: await settledIpvsStats(runners.director, to, before.ipvs, outcome.ok) };
    const flows = await conntrackAdapter(runners.director).list({ protocol: 'tcp', dport: to.port });
    const flow = ourFlow(flows, to, sourcePort);
    const services = parseIpvsSave(ipvsSave);
    // DR rewrites only the frame: the real server's MAC, from the director's neighbour table
    const neighbours = services.some((v) => v.realServers.some((r) => r.forwarding === 'dr')) ? await neighboursOf(runners.director) : undefined;
    const trace = buildTrace({
      from: { node: fromNode, origin: fromNode === director.name ? 'local' : 'remote' },
      to,
      before: before.tables,
      after: after.tables,
      ipvsBefore: before.ipvs,
      ipvsAfter: after.ipvs,
      ipvsServices: services,
      ...(neighbours === undefined ? {} : { neighbours }),
      sets: parseIpsetSave(ipsetSave),
      ...(flow === undefined ? {} : { flow }),
      request: outcome,
    });
    return { trace, notes };
  } finally {
    if (acct === '0') await runners.director.run(['sysctl', '-w', `${ACCT}=0`]);
  }
}
