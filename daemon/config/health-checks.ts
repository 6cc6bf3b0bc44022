/**
 * Cross-field checks of a virtual server's health check, quorum and sorry server (see checks.ts for
 * how they run: on the raw YAML data, skipping fields the schema already refused).
 */
import type { ConfigProblem } from './types.js';
import { formatDuration } from './duration.js';
import { field, isMapping, list, own, problem, type PathSegment } from './problems.js';
import { healthCheckSchema, sorryServerSchema } from './health-schema.js';
import { virtualServerSchema } from './schema.js';

/** What the checks need to know of the lab's nodes. */
export interface NodeLookup {
  readonly byName: ReadonlyMap<string, unknown>;
  /** "known nodes: ds, client, …" for unknown-node reasons. */
  readonly knownText: string;
}

type At = (...rest: PathSegment[]) => PathSegment[];

const HTTP_ONLY = ['path', 'expectStatus', 'bodyContains'] as const;

/** dr and tun deliver packets unchanged: whoever receives them must listen on the virtual server's port. */
export function portChangeProblem(forwarding: string | undefined, port: number | undefined, vsPort: number | undefined, who: string): string | undefined {
  if ((forwarding !== 'dr' && forwarding !== 'tun') || port === undefined || vsPort === undefined || port === vsPort) return undefined;
  return `forwarding ${forwarding} cannot change the port: ${who} must use the virtual server's port ${vsPort}`;
}

/** The healthCheck of a virtual server: not on udp, http-only keys only on http, timeout < interval. */
export function checkHealth(vs: unknown, protocol: string | undefined, at: At, out: ConfigProblem[]): void {
  const hc = own(vs, 'healthCheck');
  if (!isMapping(hc)) return;
  const shape = healthCheckSchema.shape;
  if (protocol === 'udp') {
    const reason = 'health checks connect over TCP (type tcp or http); a udp virtual server cannot have one';
    out.push(problem(at('healthCheck'), hc, reason));
  }
  if (field(shape.type, hc, 'type') === 'tcp') {
    for (const key of HTTP_ONLY) {
      if (own(hc, key) === undefined) continue;
      out.push(problem(at('healthCheck', key), own(hc, key), `applies only to type http; a tcp check only connects`));
    }
  }
  const interval = field(shape.interval, hc, 'interval');
  const timeout = field(shape.timeout, hc, 'timeout');
  if (interval !== undefined && timeout !== undefined && timeout >= interval) {
    const reason = `must be shorter than the interval (${formatDuration(interval)}): a check must end before the next one starts`;
    out.push(problem(at('healthCheck', 'timeout'), own(hc, 'timeout') ?? formatDuration(timeout), reason));
  }
}

/** The quorum (at most the number of real servers) and the sorry server (a known node, the right port). */
export function checkQuorum(
  vs: unknown,
  nodes: NodeLookup,
  vsPort: number | undefined,
  forwarding: string | undefined,
  at: At,
  out: ConfigProblem[],
): void {
  const quorum = field(virtualServerSchema.shape.quorum, vs, 'quorum');
  const count = list(own(vs, 'realServers')).length;
  if (quorum !== undefined && count > 0 && quorum > count) {
    const reason = `more than the ${count} real server${count === 1 ? '' : 's'}: a quorum of ${quorum} could never be met`;
    out.push(problem(at('quorum'), quorum, reason));
  }
  const sorry = own(vs, 'sorryServer');
  const node = field(sorryServerSchema.shape.node, sorry, 'node');
  if (node !== undefined && !nodes.byName.has(node)) {
    out.push(problem(at('sorryServer', 'node'), node, `unknown node "${node}"; ${nodes.knownText}`));
  }
  const port = field(sorryServerSchema.shape.port, sorry, 'port');
  const reason = portChangeProblem(forwarding, port, vsPort, 'the sorry server');
  if (reason !== undefined) out.push(problem(at('sorryServer', 'port'), port, reason));
}
