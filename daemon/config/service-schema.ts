/**
 * The lab-file schema of kube-proxy-style services (on the director) and the lab-wide settings of
 * that mode: kubelet's rules, the node port range and the cluster domain of service DNS. Rules that
 * need more than one field (unique cluster IPs and node ports, the range, endpoints on real servers)
 * live in service-checks.ts.
 */
import * as z from 'zod';
import { ipv4Problem } from './ipv4.js';
import { SCHEDULERS } from './types.js';
import { checked, int, named, nodeName, oneOf, port, say, strict } from './zod-helpers.js';

/** A DNS label as Kubernetes names services and namespaces (RFC 1123), at most 63 characters. */
export const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
/** A cluster domain: DNS labels joined by dots, at most 253 characters. */
export const DNS_DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)*$/;
export const SERVICE_TYPES = ['ClusterIP', 'NodePort'] as const;
export const SERVICE_PROTOCOLS = ['TCP', 'UDP'] as const;
export const SESSION_AFFINITIES = ['None', 'ClientIP'] as const;
export const KUBELET_RULES = ['legacy', 'current', 'none'] as const;
/** Kubernetes' default and maximum session affinity timeout, in seconds. */
export const DEFAULT_AFFINITY_TIMEOUT = 10800;
export const MAX_AFFINITY_TIMEOUT = 86400;

export const SERVICE_DEFAULTS = {
  kubeletRules: 'current',
  nodePortRange: '30000-32767',
  clusterDomain: 'cluster.local',
} as const;

/** "30000-32767" → [30000, 32767], or the reason it is not a port range. */
export function parsePortRange(text: string): { min: number; max: number } | string {
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(text);
  if (!match) return 'must be a port range like "30000-32767"';
  const min = Number(match[1]);
  const max = Number(match[2]);
  if (min < 1 || max > 65535) return 'ports must be from 1 to 65535';
  if (min > max) return `the first port (${min}) must not be above the last (${max})`;
  return { min, max };
}

const rangeProblem = (text: string): string | undefined => {
  const range = parsePortRange(text);
  return typeof range === 'string' ? range : undefined;
};

export const endpointSchema = strict({
  node: nodeName,
  /** Default: the service's targetPort. */
  port: port.optional(),
});

export const serviceSchema = strict({
  name: named(DNS_LABEL, 'a DNS label: lowercase letters, digits and \'-\', at most 63 characters'),
  namespace: named(DNS_LABEL, 'a DNS label: lowercase letters, digits and \'-\', at most 63 characters').default('default'),
  type: oneOf(SERVICE_TYPES).default('ClusterIP'),
  clusterIP: checked('an IPv4 address like 10.108.113.237', ipv4Problem),
  protocol: oneOf(SERVICE_PROTOCOLS).default('TCP'),
  port,
  /** Default: port. */
  targetPort: port.optional(),
  /** Required for NodePort, refused for ClusterIP (service-checks.ts). */
  nodePort: port.optional(),
  scheduler: oneOf(SCHEDULERS).default('rr'),
  sessionAffinity: oneOf(SESSION_AFFINITIES).default('None'),
  /** Seconds; only with sessionAffinity ClientIP. */
  sessionAffinityTimeout: int(1, MAX_AFFINITY_TIMEOUT).optional(),
  endpoints: z.array(endpointSchema, say('must be a list of endpoints ({ node, port })')),
});

/** The lab-level keys of the kube-proxy mode (merged into the lab schema). */
export const serviceModeShape = {
  services: z.array(serviceSchema, say('must be a list of services')).default([]),
  kubeletRules: oneOf(KUBELET_RULES).default(SERVICE_DEFAULTS.kubeletRules),
  nodePortRange: checked('a port range like "30000-32767"', rangeProblem).default(SERVICE_DEFAULTS.nodePortRange),
  clusterDomain: named(DNS_DOMAIN, 'DNS labels joined by dots, like cluster.local').default(SERVICE_DEFAULTS.clusterDomain),
};
