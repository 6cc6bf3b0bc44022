/**
 * Reads, when a virtual server fails, what `diagnose` needs: the client's route to the VIP, the
 * director's sysctls, nat table and IPVS table, a curl from the director to each backend, and each real
 * server's next hop toward the client. What cannot be read becomes a note, never a guessed fact.
 * The gatherers of one verify share a ReadCache: the director's tables are read and parsed once
 * however many virtual servers fail.
 */
import type { LabConfig, VirtualServerConfig } from '../config/types.js';
import type { Runner, RunOptions, RunResult } from '../kernel/runner.js';
import type { NodePlace } from '../lab/node-access.js';
import { sysctlAdapter } from '../kernel/sysctl/index.js';
import { errorText, isNotExist, ToolError } from '../kernel/tool-error.js';
import { setNames } from '../plan/names.js';
import { directorOf, findNode } from '../plan/plan.js';
import { CURL_EXIT_CODES, curlArgv, parseCurl } from './curl.js';
import { clientOf } from './flows.js';
import { ipvsServiceKeys, ipvsServiceListed, isNoRoute, masqueraded, natChains, nextHop, parseRouteGet, snatSetEntries } from './read.js';
import { remoteState } from './remote.js';
import type { Facts } from './types.js';

export interface NodeAccess {
  runnerFor(node: string): Runner;
  /** Where the node is; a `remote` node's runner refuses every command (see lab/node-access.ts). */
  placeOf?(node: string): NodePlace;
}

export const DIRECTOR_SYSCTL_KEYS = ['net.ipv4.ip_forward', 'net.ipv4.vs.conntrack'] as const;
/** Seconds the director gives each backend to answer. */
export const BACKEND_TIMEOUT_S = 2;

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs `work`; a failure is returned, not thrown. */
async function attempt<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** One verify's reads by node and command: each runs once, its outcome (value or error) kept. */
export class ReadCache {
  private readonly outcomes = new Map<string, Promise<Outcome<unknown>>>();

  outcome<T>(node: string, what: string, work: () => Promise<T>): Promise<Outcome<T>> {
    const key = `${node}\n${what}`;
    let outcome = this.outcomes.get(key);
    if (outcome === undefined) {
      outcome = attempt(work);
      this.outcomes.set(key, outcome);
    }
    return outcome as Promise<Outcome<T>>;
  }
}

export class FactGatherer {
  readonly notes: string[] = [];
  /** Remote node → the programs not run there (said in one note per node at the end of gather). */
  private readonly notRunOn = new Map<string, Set<string>>();

  constructor(private readonly lab: LabConfig, private readonly access: NodeAccess, private readonly cache = new ReadCache()) {}

  /** Runs argv on a node and reads its output with `use`; a failure becomes a note and `undefined`. */
  private read<T>(node: string, argv: readonly string[], use: (r: RunResult) => T, options?: RunOptions): Promise<T | undefined> {
    return this.readWith(node, argv.join(' '), async (runner) => use(await runner.run(argv, options)));
  }

  /** As `read`, for work of more than one run or its own reading of failures; `what` names it in a note. */
  private async readWith<T>(node: string, what: string, work: (runner: Runner) => Promise<T>): Promise<T | undefined> {
    if (this.access.placeOf?.(node) === 'remote') {
      this.notRunOn.set(node, (this.notRunOn.get(node) ?? new Set()).add(what.split(' ')[0]!));
      return undefined;
    }
    const outcome = await this.cache.outcome(node, what, () => work(this.access.runnerFor(node)));
    if (outcome.ok) return outcome.value;
    this.notes.push(`could not read \`${what}\` on ${node}: ${errorText(outcome.error)}`);
    return undefined;
  }

  private async clientRoute(vs: VirtualServerConfig): Promise<Facts['clientRouteToVip']> {
    const client = clientOf(this.lab).name;
    const argv = ['ip', '-j', 'route', 'get', vs.vip];
    const outcome = await attempt(async () => parseRouteGet((await this.access.runnerFor(client).run(argv)).stdout) ?? 'none');
    if (outcome.ok) return outcome.value;
    if (outcome.error instanceof ToolError && isNoRoute(outcome.error.stderr)) return 'none';
    this.notes.push(`could not read \`${argv.join(' ')}\` on ${client}: ${errorText(outcome.error)}`);
    return undefined;
  }

  /** The entries of the lab's SNAT set: none when there is no set, undefined (and a note) when it could not be read. */
  private snatEntries(director: string): Promise<ReadonlySet<string> | undefined> {
    const argv = ['ipset', 'save', setNames(this.lab).snat];
    return this.readWith(director, argv.join(' '), async (runner) => {
      try {
        return snatSetEntries((await runner.run(argv)).stdout, this.lab);
      } catch (e) {
        if (isNotExist(e)) return new Set<string>();
        throw e;
      }
    });
  }

  /** One curl from the director to each real server's backend: node → error, or undefined when it answered. */
  private async backends(vs: VirtualServerConfig): Promise<Map<string, string | undefined>> {
    const director = directorOf(this.lab).name;
    const results = new Map<string, string | undefined>();
    for (const rs of vs.realServers) {
      const argv = curlArgv(findNode(this.lab, rs.node).ip, rs.port, BACKEND_TIMEOUT_S);
      const options = { okExitCodes: CURL_EXIT_CODES, timeoutMs: (BACKEND_TIMEOUT_S + 20) * 1000 };
      const probe = await this.read(director, argv, (r) => parseCurl(r.stdout, r.exitCode, r.stderr), options);
      if (probe !== undefined && !results.get(rs.node)) results.set(rs.node, probe.ok ? undefined : probe.error);
    }
    return results;
  }

  /** A remote director's health checks of vs's real servers, from its status API (read from the client once per verify). */
  private async remoteHealth(vs: VirtualServerConfig): Promise<Facts['directorHealth']> {
    const director = directorOf(this.lab);
    if (this.access.placeOf?.(director.name) !== 'remote') return undefined;
    const client = clientOf(this.lab).name;
    const read = await this.readWith(client, `curl ${director.name}'s /v1/state`, async (runner) => {
      const { url, state } = await remoteState(runner, director);
      // indexed once, for every failing virtual server
      return { url, byService: new Map(state.virtualServers.map((v) => [`${v.protocol} ${v.vip}:${v.port}`, v])) };
    });
    if (read === undefined) return undefined;
    const status = read.byService.get(`${vs.protocol} ${vs.vip}:${vs.port}`);
    const realServers = Object.fromEntries((status?.realServers ?? []).flatMap((r) => (r.node === undefined ? [] : [[r.node, {
      ...(r.healthy === undefined ? {} : { healthy: r.healthy }), weight: r.weight,
    }] as const])));
    return { source: `GET ${read.url}`, realServers };
  }

  async gather(vs: VirtualServerConfig): Promise<Facts> {
    const director = directorOf(this.lab).name;
    const clientIp = clientOf(this.lab).ip;
    const clientRouteToVip = await this.clientRoute(vs);
    // the adapter knows how sysctl reports a key that does not exist (net.ipv4.vs.* without ip_vs)
    const sysctls = await this.readWith(director, `sysctl ${DIRECTOR_SYSCTL_KEYS.join(' ')}`, (runner) => sysctlAdapter(runner).observe(DIRECTOR_SYSCTL_KEYS));
    const nat = await this.read(director, ['iptables-save', '-t', 'nat'], (r) => natChains(r.stdout));
    const snatEntries = await this.snatEntries(director);
    const snat = nat === undefined || snatEntries === undefined ? undefined : masqueraded(nat, snatEntries, this.lab, vs);
    const services = await this.read(director, ['ipvsadm', '-S', '-n'], (r) => ipvsServiceKeys(r.stdout));
    const ipvs = services === undefined ? undefined : ipvsServiceListed(services, vs);
    const backends = await this.backends(vs);
    const gateways: Record<string, string | undefined> = {};
    for (const node of new Set(vs.realServers.map((rs) => rs.node))) {
      gateways[node] = await this.read(node, ['ip', '-j', 'route', 'get', clientIp], (r) => nextHop(r.stdout, clientIp));
    }
    const directorHealth = await this.remoteHealth(vs);
    for (const [node, programs] of this.notRunOn) {
      this.notes.push(`${node} is another machine: ${[...programs].join(', ')} not run there (lvslab reads other nodes only through their status API)`);
    }
    this.notRunOn.clear();
    const errors = [...backends].filter((e): e is [string, string] => e[1] !== undefined);
    return {
      ...(directorHealth !== undefined ? { directorHealth } : {}),
      ...(clientRouteToVip !== undefined ? { clientRouteToVip } : {}),
      directorSysctls: Object.fromEntries(DIRECTOR_SYSCTL_KEYS.map((k) => [k, sysctls?.get(k)])),
      snatRulePresent: snat,
      ipvsServicePresent: ipvs,
      realServerBackends: Object.fromEntries([...backends].map(([node, error]) => [node, error === undefined])),
      realServerBackendErrors: Object.fromEntries(errors),
      realServerGateways: gateways,
    };
  }
}
