/** One readable line per change, for `lvslab plan`, the reconcile result and the logs. */
import type { Change } from '../kernel/changes.js';
import { IPVS_TIMEOUT_NAMES, ipvsTimeoutsDiffering, linkKindOf, realServerKey, virtualServiceKey, type IpvsTimeouts } from '../kernel/types.js';

export function describeChange(c: Change): string {
  switch (c.kind) {
    case 'sysctl-set': return `sysctl ${c.sysctl.key}: ${c.from ?? '(absent)'} → ${c.sysctl.value}`;
    case 'link-add': return `link ${c.link.name}: create ${linkKindOf(c.link)}`;
    case 'link-replace': return `link ${c.link.name}: replace ${linkKindOf(c.from)} by ${linkKindOf(c.link)}`;
    case 'link-set': return `link ${c.link.name}: set ${c.link.up ? 'up' : 'down'}`;
    case 'link-del': return `link ${c.link.name}: delete`;
    case 'address-add': return `address ${c.address.cidr} on ${c.address.dev}: add`;
    case 'address-del': return `address ${c.address.cidr} on ${c.address.dev}: delete`;
    case 'route-add': return `route ${c.route.dst} via ${c.route.via}: add`;
    case 'route-del': return `route ${c.route.dst} via ${c.route.via}: delete`;
    case 'ipset-create': return `ipset ${c.set.name} (${c.set.type}): create with ${c.set.entries.length} entries`;
    case 'ipset-update': return `ipset ${c.set.name}: replace ${c.from.entries.length} entries by ${c.set.entries.length} (swap)`;
    case 'ipset-destroy': return `ipset ${c.set.name}: destroy`;
    case 'chain-write': return `chain ${c.chain.table}/${c.chain.name}: ${c.from ? 'rewrite' : 'create'} with ${c.chain.rules.length} rules`;
    case 'chain-delete': return `chain ${c.chain.table}/${c.chain.name}: delete`;
    case 'jump-add': return `rule ${c.jump.table}/${c.jump.chain}: add ${c.jump.rule}`;
    case 'jump-del': return `rule ${c.jump.table}/${c.jump.chain}: delete ${c.jump.rule}`;
    case 'vs-add': return `ipvs ${virtualServiceKey(c.service)}: add (scheduler ${c.service.scheduler})`;
    case 'vs-edit': return `ipvs ${virtualServiceKey(c.service)}: scheduler ${c.from.scheduler} → ${c.service.scheduler}, persistence ${c.from.persistence ?? 'none'} → ${c.service.persistence ?? 'none'}`;
    case 'vs-del': return `ipvs ${virtualServiceKey(c.service)}: delete`;
    case 'rs-add': return `ipvs ${virtualServiceKey(c.service)} → ${realServerKey(c.real)}: add (${c.real.forwarding}, weight ${c.real.weight})`;
    case 'rs-edit': return `ipvs ${virtualServiceKey(c.service)} → ${realServerKey(c.real)}: ${c.from.forwarding}/weight ${c.from.weight} → ${c.real.forwarding}/weight ${c.real.weight}`;
    case 'rs-del': return `ipvs ${virtualServiceKey(c.service)} → ${realServerKey(c.real)}: delete`;
    case 'ipvs-timeouts-set': return `ipvs timeouts: ${timeoutsChange(c.timeouts, c.from)}${c.restore ? ' (the node\'s own, back: the lab no longer sets them)' : ''}`;
  }
}

/** "tcp 7200s → 900s, udp 300s → 60s": the fields that change, each from what the node held. */
const timeoutsChange = (to: Partial<IpvsTimeouts>, from: Partial<IpvsTimeouts> | undefined): string =>
  ipvsTimeoutsDiffering(to, from).map((f) => `${IPVS_TIMEOUT_NAMES[f]} ${from?.[f] === undefined ? '(unknown)' : `${from[f]}s`} → ${to[f]}s`).join(', ');
