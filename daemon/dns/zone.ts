/**
 * The service zone: Kubernetes-style names `<name>.<namespace>.svc.<domain>` → cluster IP, and the
 * lookup the answerer asks of it (a record, a name that exists only as a parent of records, a name
 * absent from the zone, or a name outside it). Pure: no I/O.
 */
import { isIPv4 } from '../config/ipv4.js';

export interface ServiceRecord {
  readonly name: string;
  readonly namespace: string;
  readonly clusterIP: string;
}

export interface ServiceZone {
  /** The cluster domain, lowercase, without a trailing dot: "cluster.local". */
  readonly domain: string;
  /** Lowercase FQDN without a trailing dot → IPv4 address. */
  readonly records: ReadonlyMap<string, string>;
}

/** What the zone holds for one name. */
export type Lookup =
  | { readonly kind: 'record'; readonly ip: string }
  /** The name exists (the domain, `svc.<domain>`, a namespace with services) but holds no record: NODATA. */
  | { readonly kind: 'empty' }
  /** Inside the domain, but nothing there and nothing below it: NXDOMAIN. */
  | { readonly kind: 'absent' }
  /** Not inside the domain: not ours to answer. */
  | { readonly kind: 'outside' };

const MAX_LABEL = 63;
const MAX_NAME = 253;

/** Lowercase, without a trailing dot. */
const canonical = (name: string): string => name.toLowerCase().replace(/\.$/, '');

/** Why `name` cannot be a DNS name of labels joined by dots, or undefined when it can. */
function nameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > MAX_NAME) return `is longer than ${MAX_NAME} characters`;
  const bad = name.split('.').find((label) => label.length === 0 || label.length > MAX_LABEL);
  return bad === undefined ? undefined : `has an empty label or one longer than ${MAX_LABEL} characters`;
}

/**
 * The zone of `services` under `domain`. Throws on a name that cannot be a DNS name, an address that
 * is not IPv4, or one name given two different addresses (the config refuses all three before this).
 */
export function buildZone(domain: string, services: readonly ServiceRecord[]): ServiceZone {
  const zoneDomain = canonical(domain);
  const domainProblem = nameProblem(zoneDomain);
  if (domainProblem !== undefined) throw new Error(`DNS zone: domain ${JSON.stringify(domain)} ${domainProblem}`);
  const records = new Map<string, string>();
  for (const service of services) {
    const label = `service ${service.namespace}/${service.name}`;
    for (const part of [service.name, service.namespace]) {
      if (part.length === 0 || part.includes('.')) throw new Error(`DNS zone: ${label}: ${JSON.stringify(part)} is not one DNS label`);
    }
    const fqdn = canonical(`${service.name}.${service.namespace}.svc.${zoneDomain}`);
    const problem = nameProblem(fqdn);
    if (problem !== undefined) throw new Error(`DNS zone: ${label}: ${fqdn} ${problem}`);
    if (!isIPv4(service.clusterIP)) throw new Error(`DNS zone: ${label}: clusterIP ${JSON.stringify(service.clusterIP)} is not an IPv4 address`);
    const known = records.get(fqdn);
    if (known !== undefined && known !== service.clusterIP) {
      throw new Error(`DNS zone: ${fqdn} is given two addresses, ${known} and ${service.clusterIP}`);
    }
    records.set(fqdn, service.clusterIP);
  }
  return { domain: zoneDomain, records };
}

/** Every name of the zone that exists without a record: the domain, `svc.<domain>`, each namespace. */
const emptyNamesByZone = new WeakMap<ServiceZone, ReadonlySet<string>>();

function emptyNames(zone: ServiceZone): ReadonlySet<string> {
  const cached = emptyNamesByZone.get(zone);
  if (cached !== undefined) return cached;
  const names = new Set<string>([zone.domain, `svc.${zone.domain}`]);
  for (const fqdn of zone.records.keys()) {
    // "web.default.svc.cluster.local" → "default.svc.cluster.local"
    names.add(fqdn.slice(fqdn.indexOf('.') + 1));
  }
  emptyNamesByZone.set(zone, names);
  return names;
}

/**
 * What the zone holds for a name given as its labels (in wire order, already lowercase, without the
 * root). A label containing a dot cannot be in the zone (its labels have none), so such a name inside
 * the domain is absent rather than mistaken for a longer one.
 */
export function lookup(zone: ServiceZone, labels: readonly string[]): Lookup {
  const domainLabels = zone.domain.split('.');
  if (labels.length < domainLabels.length) return { kind: 'outside' };
  const tail = labels.slice(labels.length - domainLabels.length);
  if (tail.some((label, i) => label !== domainLabels[i])) return { kind: 'outside' };
  if (labels.some((label) => label.includes('.'))) return { kind: 'absent' };
  const fqdn = labels.join('.');
  const ip = zone.records.get(fqdn);
  if (ip !== undefined) return { kind: 'record', ip };
  return emptyNames(zone).has(fqdn) ? { kind: 'empty' } : { kind: 'absent' };
}
