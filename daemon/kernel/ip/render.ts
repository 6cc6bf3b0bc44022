/** Changes → an `ip -batch -` batch. Pure. */
import { ofKind, type Change } from '../changes.js';
import { linkKindOf, LVSLAB_ROUTE_PROTO } from '../types.js';
import { joinLines } from '../batch.js';

/** Order: link-replace (del, add), link-add, link-set, address-del, address-add, route-del, route-add (as replace), link-del. */
export function renderIpBatch(changes: readonly Change[]): string {
  return joinLines([
    ...ofKind(changes, 'link-replace').flatMap((c) => [`link del ${c.link.name}`, `link add ${c.link.name} type ${linkKindOf(c.link)}`]),
    ...ofKind(changes, 'link-add').map((c) => `link add ${c.link.name} type ${linkKindOf(c.link)}`),
    ...ofKind(changes, 'link-set').map((c) => `link set ${c.link.name} ${c.link.up ? 'up' : 'down'}`),
    ...ofKind(changes, 'address-del').map((c) => `address del ${c.address.cidr} dev ${c.address.dev}`),
    ...ofKind(changes, 'address-add').map((c) => `address add ${c.address.cidr} dev ${c.address.dev}`),
    ...ofKind(changes, 'route-del').map((c) => `route del ${c.route.dst} via ${c.route.via} proto ${LVSLAB_ROUTE_PROTO}`),
    ...ofKind(changes, 'route-add').map((c) => `route replace ${c.route.dst} via ${c.route.via} proto ${LVSLAB_ROUTE_PROTO}`),
    ...ofKind(changes, 'link-del').map((c) => `link del ${c.link.name}`),
  ]);
}
