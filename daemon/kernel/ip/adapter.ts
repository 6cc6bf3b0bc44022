/** Links, addresses and routes through iproute2: observe with `ip -j`, apply with one `ip -batch -`. */
import type { Change } from '../changes.js';
import type { Runner } from '../runner.js';
import type { SeenRoute } from '../ownership.js';
import type { Address, Link } from '../types.js';
import { explainAtLine, runBatch } from '../batch.js';
import { parseAddresses, parseLinkKind, parseLinks, parseRoutes } from './parse.js';
import { renderIpBatch } from './render.js';

export interface IpObserved {
  /** The link with that name, whoever made it, with its kind (ownership.ts decides whether it is lvslab's). */
  readonly link?: Link & { readonly kind: string };
  readonly addresses: Address[];
  /** Every route of the main table, with its protocol. */
  readonly routes: SeenRoute[];
}

export interface IpAdapter {
  /** The link named `linkName` and its addresses, and the main table's routes. */
  observe(linkName: string): Promise<IpObserved>;
  /** Applies the link/address/route changes; returns the batch lines sent (0: nothing ran). */
  apply(changes: readonly Change[]): Promise<number>;
}

// ip -batch stops at the first error and says "Command failed -:N".
const explain = explainAtLine(/Command failed -:(\d+)/);

export function ipAdapter(runner: Runner): IpAdapter {
  return {
    async observe(linkName) {
      const addr = await runner.run(['ip', '-j', '-d', 'addr', 'show']);
      const route = await runner.run(['ip', '-j', 'route', 'show']);
      const json: unknown = addr.stdout.trim() === '' ? [] : JSON.parse(addr.stdout);
      const link = parseLinks(json, linkName);
      const kind = parseLinkKind(json, linkName) ?? 'unknown';
      return { ...(link ? { link: { ...link, kind } } : {}), addresses: parseAddresses(json, linkName), routes: parseRoutes(route.stdout) };
    },
    apply: (changes) => runBatch(runner, ['ip', '-batch', '-'], renderIpBatch(changes), explain),
  };
}
