/**
 * IPVS through ipvsadm: observe with `ipvsadm -S -n` (skipped while /proc/net/ip_vs shows the table
 * the last one read: table-memo.ts), apply with one `ipvsadm -R` batch, read
 * connection counts (for the drain) with `ipvsadm -Ln --exact`, traffic counters (for /metrics) with
 * `ipvsadm -L -n --stats --exact`; the connection timeouts with
 * `ipvsadm -L --timeout`, written with `ipvsadm --set` (ipvsadm -R takes no --set line).
 */
import type { Change } from '../changes.js';
import type { Runner } from '../runner.js';
import type { IpvsTimeouts, VirtualService } from '../types.js';
import { explainWithHead, runBatch } from '../batch.js';
import { parseIpvsSave } from './parse.js';
import { parseIpvsList, type RealServerConnections } from './parse-list.js';
import { parseIpvsStats, type IpvsServiceStats } from './parse-stats.js';
import { renderIpvsRestore } from './render.js';
import { ipvsFingerprint, type IpvsTableMemo } from './table-memo.js';
import { parseIpvsTimeouts, renderIpvsTimeoutsSet } from './timeouts.js';

export interface IpvsAdapter {
  /** The services lvslab owns (`owns` decides by address and port). */
  observe(owns: (service: { readonly address: string; readonly port: number }) => boolean): Promise<VirtualService[]>;
  /** Applies the vs-* / rs-* changes; returns the number of batch lines sent (0: nothing ran). */
  apply(changes: readonly Change[]): Promise<number>;
  /** ActiveConn / InActConn of every real server whose virtual address is one of `ownedAddresses`. */
  connections(ownedAddresses: ReadonlySet<string>): Promise<RealServerConnections[]>;
  /** The traffic counters of every virtual service whose address is one of `ownedAddresses`, and of its real servers. */
  stats(ownedAddresses: ReadonlySet<string>): Promise<IpvsServiceStats[]>;
  /** The node's TCP, TCP FIN and UDP timeouts (one ipvsadm run). */
  timeouts(): Promise<IpvsTimeouts>;
  /** Applies the ipvs-timeouts-set change, if any; returns 1 when ipvsadm ran, else 0. */
  applyTimeouts(changes: readonly Change[]): Promise<number>;
}

/** /proc/net/ip_vs's fingerprint; undefined when it cannot be read (no ip_vs module: no table to remember). */
async function procFingerprint(runner: Runner): Promise<string | undefined> {
  try {
    return ipvsFingerprint((await runner.run(['cat', '/proc/net/ip_vs'])).stdout);
  } catch {
    return undefined;
  }
}

/** `memo`: kept by a caller that observes the same node again and again (the daemon), to skip unchanged full reads. */
export function ipvsAdapter(runner: Runner, memo?: IpvsTableMemo): IpvsAdapter {
  return {
    async observe(owns) {
      if (memo === undefined) return parseIpvsSave((await runner.run(['ipvsadm', '-S', '-n'])).stdout).filter(owns);
      // taken before the full read: a change between the two makes the next fingerprint differ
      const fingerprint = await procFingerprint(runner);
      if (fingerprint !== undefined && memo.last?.fingerprint === fingerprint) return memo.last.services.filter(owns);
      const services = parseIpvsSave((await runner.run(['ipvsadm', '-S', '-n'])).stdout);
      memo.last = fingerprint === undefined ? undefined : { fingerprint, services };
      return services.filter(owns);
    },
    // ipvsadm -R does not say which line failed: the error shows the head of the batch. One line runs
    // as ipvsadm's own arguments (a restore line is one).
    apply: (changes) => runBatch(runner, ['ipvsadm', '-R'], renderIpvsRestore(changes), explainWithHead, ['ipvsadm']),
    async connections(ownedAddresses) {
      const { stdout } = await runner.run(['ipvsadm', '-Ln', '--exact']);
      return parseIpvsList(stdout).filter((c) => ownedAddresses.has(c.service.address));
    },
    async stats(ownedAddresses) {
      const { stdout } = await runner.run(['ipvsadm', '-L', '-n', '--stats', '--exact']);
      return parseIpvsStats(stdout).filter((s) => ownedAddresses.has(s.address));
    },
    async timeouts() {
      return parseIpvsTimeouts((await runner.run(['ipvsadm', '-L', '--timeout'])).stdout);
    },
    async applyTimeouts(changes) {
      const args = renderIpvsTimeoutsSet(changes);
      if (args.length === 0) return 0;
      await runner.run(['ipvsadm', ...args]);
      return 1;
    },
  };
}
