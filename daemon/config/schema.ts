/**
 * The zod schema of a lab file as written in YAML (the input shape, defaults included).
 * Every object is strict (an unknown key is a problem) and every error message is a reason a
 * person can act on. Checks that need more than one field live in checks.ts.
 */
import * as z from 'zod';
import cron from 'node-cron';
import { SCHEDULERS } from './types.js';
import { cidrProblem, ipv4Problem } from './ipv4.js';
import { DEFAULT_LISTEN, listenProblem } from './listen.js';
import { NAME, atLeast, checked, int, named, nodeName, oneOf, port, say, strict } from './zod-helpers.js';
import { drainSchema, healthCheckSchema, sorryServerSchema } from './health-schema.js';
import { KUBE_INTERFACE, LVSLAB_INTERFACE } from './reserved.js';
import { serviceModeShape } from './service-schema.js';
import { ipvsTimeoutsSchema } from './ipvs-timeouts-schema.js';
import { haSchema } from './ha-schema.js';

export { NAME, nodeName, port } from './zod-helpers.js';

export const LAB_NAME = /^[a-z][a-z0-9-]{0,9}$/;
export const PREFIX = /^[A-Z][A-Z0-9-]{0,9}-$/;
export const BLOCKLIST_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
/** Longest ipset set name lvslab creates (prefix + blocklist name); iptables chains allow 28 too. */
export const MAX_SET_NAME = 28;
export const MAX_CRON_LENGTH = 100;

export const DEFAULTS = {
  prefix: 'LVSLAB-',
  interface: 'lvslab0',
  masqueradeMark: 0x4000,
  reconcileSchedule: '*/5 * * * * *',
  reconcileCpuPercent: 10,
} as const;

export const ROLES = ['director', 'real-server', 'client'] as const;
export const PROTOCOLS = ['tcp', 'udp'] as const;
export const FORWARDINGS = ['nat', 'dr', 'tun'] as const;
export const BLOCKLIST_TYPES = ['hash:ip', 'hash:net'] as const;
export const MATCHES = ['src', 'dst'] as const;

const validCron = (expr: string): boolean => {
  try {
    return expr.length <= MAX_CRON_LENGTH && cron.validate(expr);
  } catch {
    return false;
  }
};

/** Why `name` cannot be the lab's interface: lvslab sets it down and deletes it, so only a name of its own will do. */
const interfaceProblem = (name: string): string | undefined =>
  LVSLAB_INTERFACE.test(name) || name === KUBE_INTERFACE
    ? undefined
    : `must be a dummy link lvslab creates: "lvslab" followed by up to 9 lowercase letters, digits or '-' (like lvslab0), ` +
      `or ${KUBE_INTERFACE} in a lab with services; lvslab sets this link down and deletes it, so it is never a host's ` +
      'interface (eth0, lo) nor a word ip reads as a keyword (up, dev, type)';

export const ipv4 = checked('an IPv4 address like 10.10.0.1', ipv4Problem);
export const cidr = checked('an IPv4 address with a prefix length like 192.168.113.101/24', cidrProblem);

export const nodeSchema = strict({
  role: oneOf(ROLES),
  address: cidr,
  /** Where this node's lvslabd serves its read-only status API; 0.0.0.0:9410 lets other nodes read it. */
  api: checked("HOST:PORT (like 0.0.0.0:9410) or 'off'", listenProblem).default(DEFAULT_LISTEN),
});

export const realServerSchema = strict({
  node: nodeName,
  port,
  weight: int(0, 65535).default(1),
});

export const virtualServerSchema = strict({
  name: named(NAME, "lowercase letters, digits, '-'"),
  vip: ipv4,
  port,
  protocol: oneOf(PROTOCOLS).default('tcp'),
  scheduler: oneOf(SCHEDULERS).default('rr'),
  forwarding: oneOf(FORWARDINGS).default('nat'),
  snat: z.boolean(say('must be true or false')).default(false),
  persistence: int(1, 2678400).optional(),
  realServers: z
    .array(realServerSchema, say('must be a list of real servers ({ node, port, weight })'))
    .min(1, say('must list at least one real server')),
  healthCheck: healthCheckSchema.optional(),
  /** At most the number of real servers (checks.ts). */
  quorum: atLeast(1).optional(),
  sorryServer: sorryServerSchema.optional(),
});

export const blocklistSchema = strict({
  name: named(
    BLOCKLIST_NAME,
    `letters, digits, '_', '-'; the ipset set is named prefix + name, at most ${MAX_SET_NAME} characters`,
  ),
  type: oneOf(BLOCKLIST_TYPES).default('hash:ip'),
  /** Each entry is checked against the type in checks.ts; entries or entriesFile, not both (checks.ts). */
  entries: z.array(z.string(say('must be a string: an IPv4 address or CIDR')), say('must be a list of addresses')).optional(),
  /** A file of entries, one per line, relative to the lab file (entries-file.ts reads it). */
  entriesFile: z.string(say('must be a string: the path of a file of entries, one per line, relative to the lab file')).min(1, say('must not be empty')).optional(),
  match: oneOf(MATCHES).default('src'),
  protocol: oneOf(PROTOCOLS).optional(),
  port: port.optional(),
});

/** Node names are checked on the raw keys in checks.ts: a record drops a "__proto__" key from its output. */
export const nodesSchema = z.record(z.string(), nodeSchema, say('must be a mapping of node name to { role, address }'));

export const reconcileSchema = strict({
  schedule: z
    .string(say('must be a string: a node-cron expression'))
    .refine(validCron, say(`must be a valid node-cron expression (like "${DEFAULTS.reconcileSchedule}"), at most ${MAX_CRON_LENGTH} characters`))
    .default(DEFAULTS.reconcileSchedule),
  /** The share of one core scheduled runs may take, in percent (service/cpu-budget.ts). */
  cpuPercent: int(1, 100).default(DEFAULTS.reconcileCpuPercent),
});

export const labSchema = strict({
  lab: named(LAB_NAME, "a lowercase letter, then up to 9 lowercase letters, digits or '-'; it becomes part of interface and netns names"),
  prefix: named(PREFIX, "uppercase letters, digits, '-', ending in '-', at most 11 characters").default(DEFAULTS.prefix),
  /** The dummy link lvslab creates, deletes and sets down: never a host's own interface (reserved.ts). */
  interface: checked('the name of the dummy link lvslab creates, like lvslab0', interfaceProblem).default(DEFAULTS.interface),
  masqueradeMark: z
    .number(say('must be an integer'))
    .refine(
      (n) => Number.isInteger(n) && n >= 1 && n <= 2 ** 31 && Number.isInteger(Math.log2(n)),
      say('must be a single-bit mark: a power of two from 0x1 to 0x80000000 (like 0x4000)'),
    )
    .default(DEFAULTS.masqueradeMark),
  reconcile: reconcileSchema.default({ schedule: DEFAULTS.reconcileSchedule, cpuPercent: DEFAULTS.reconcileCpuPercent }),
  nodes: nodesSchema,
  virtualServers: z.array(virtualServerSchema, say('must be a list of virtual servers')).default([]),
  blocklists: z.array(blocklistSchema, say('must be a list of blocklists')).default([]),
  drain: drainSchema.optional(),
  /** IPVS's connection timeouts on the director; absent: the node's own are never touched. */
  ipvsTimeouts: ipvsTimeoutsSchema.optional(),
  /** Two directors, master and backup by keepalived's VRRP, and the address that floats with the master. */
  ha: haSchema.optional(),
  ...serviceModeShape,
});

export type LabInput = z.output<typeof labSchema>;

type AnySchema = z.ZodType;

const unwrap = (schema: AnySchema): AnySchema => {
  let s = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap() as AnySchema;
  return s;
};

/** The keys a strict mapping at `path` (e.g. ["virtualServers", 0]) accepts, for unknown-key reasons. */
export function keysAt(path: readonly PropertyKey[]): readonly string[] {
  let s: AnySchema | undefined = labSchema;
  for (const segment of path) {
    s = unwrap(s);
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, AnySchema>)[String(segment)];
    else if (s instanceof z.ZodArray) s = s.element as AnySchema;
    else if (s instanceof z.ZodRecord) s = s.valueType as AnySchema;
    else return [];
    if (s === undefined) return [];
  }
  s = unwrap(s);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}
