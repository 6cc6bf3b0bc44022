/** Links, addresses and routes through iproute2: observe with `ip -j`, apply with one `ip -batch -`. */
import type { Change } from '../changes.js';
import type { Runner } from '../runner.js';
import { LVSLAB_ROUTE_PROTO, type Address, type Link, type Route } from '../types.js';
import { explainAtLine, runBatch } from '../batch.js';
import { parseAddresses, parseLinks, parseRoutes } from './parse.js';
import { renderIpBatch } from './render.js';

export interface IpObserved {
  readonly link?: Link;
  readonly addresses: Address[];
  readonly routes: Route[];
}

export interface IpAdapter {
  /** The owned link and its addresses, and the routes marked with lvslab's route protocol. */
  observe(linkName: string): Promise<IpObserved>;
  /** Applies the link/address/route changes; returns the batch lines sent (0: nothing ran). */
  apply(changes: readonly Change[]): Promise<number>;
}

// ip -batch stops at the first error and says "Command failed -:N".
const explain = explainAtLine(/Command failed -:(\d+)/);

export function ipAdapter(runner: Runner): IpAdapter {
  return {
    async observe(linkName) {
      const addr = await runner.run(['ip', '-j', 'addr', 'show']);
      const route = await runner.run(['ip', '-j', 'route', 'show', 'proto', String(LVSLAB_ROUTE_PROTO)]);
      const link = parseLinks(addr.stdout, linkName);
      return { ...(link ? { link } : {}), addresses: parseAddresses(addr.stdout, linkName), routes: parseRoutes(route.stdout) };
    },
    apply: (changes) => runBatch(runner, ['ip', '-batch', '-'], renderIpBatch(changes), explain),
  };
}
