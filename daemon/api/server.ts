/**
 * Read-only status over HTTP (node:http only): /healthz, /metrics, /v1/state, /v1/conntrack.
 * GET and HEAD only; nothing here can change state. Query strings and request bodies are ignored.
 * A failing handler gives 500 with the error's message as JSON, never its stack (that goes to the log).
 *
 * Safe to open beyond loopback (the seed and kube labs open the director's): at most MAX_CONNECTIONS
 * sockets at once (more are closed at once), a socket must send its headers within HEADERS_TIMEOUT_MS
 * and its whole request within REQUEST_TIMEOUT_MS, an idle keep-alive socket is closed after
 * KEEP_ALIVE_TIMEOUT_MS; /v1/state and /v1/conntrack are read and serialized once for every request
 * within CACHE_MS (concurrent ones share the read in flight); and a Host header must be an IP literal,
 * `localhost` or one of the node's own names (`hostNames`), so that a web page cannot reach the API
 * through a DNS name it rebinds to the node (DNS rebinding). Listening beyond loopback logs a warning.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { reachableFromOthers } from '../config/listen.js';
import { sharedRead } from './shared-read.js';
import { errorText } from '../kernel/tool-error.js';

/** What the daemon exposes; every call is a read. */
export interface StatusSource {
  /** The /v1/state document (a StatusDocument, api/state-document.ts); JSON-serialisable. */
  /** JSON-serialisable; may be a promise (the daemon reads IPVS connection counts for it). */
  state(): unknown | Promise<unknown>;
  /** The lab's conntrack flows on this node, parsed and limited; JSON-serialisable. */
  conntrack(): Promise<unknown>;
  /** ok when the last reconcile succeeded; reason says why not. */
  healthy(): { ok: boolean; reason?: string };
}

/** The part of Metrics the server reads. */
export interface MetricsText {
  text(): Promise<string>;
  readonly contentType: string;
}

export interface StatusServerOptions {
  /** Address to bind (the daemon's default is 127.0.0.1). */
  readonly host: string;
  /** Port to bind (the daemon's default is 9410); 0 picks a free one, see `address.port`. */
  readonly port: number;
  readonly metrics: MetricsText;
  readonly source: StatusSource;
  readonly log: StatusLog;
  /** Names besides IP literals and `localhost` that a Host header may carry (the node's name); this machine's hostname is always one. */
  readonly hostNames?: readonly string[];
  /** Limits, for tests; the defaults are the constants below. */
  readonly limits?: Partial<StatusLimits>;
}

export interface StatusLimits {
  readonly maxConnections: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** How long a /v1/state or /v1/conntrack reply is served again before the kernel is read anew. */
  readonly cacheMs: number;
}

/** Open sockets at once; a Prometheus server, a few `lvslab status` and verify runs need far fewer. */
export const MAX_CONNECTIONS = 64;
export const HEADERS_TIMEOUT_MS = 5_000;
export const REQUEST_TIMEOUT_MS = 10_000;
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
export const CACHE_MS = 1_000;

const DEFAULT_LIMITS: StatusLimits = {
  maxConnections: MAX_CONNECTIONS, headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS,
  keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS, cacheMs: CACHE_MS,
};

/** The logger calls the server makes (a pino Logger fits). */
export interface StatusLog {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface StatusServer {
  /** Where it listens, with the actual port. */
  readonly address: { readonly host: string; readonly port: number };
  /** Stops listening; requests in progress finish. Safe to call more than once. */
  close(): Promise<void>;
}

interface Reply {
  readonly status: number;
  readonly type: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

type Route = () => Promise<Reply>;

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const ALLOWED = 'GET, HEAD';

const json = (status: number, value: unknown, headers?: Record<string, string>): Reply =>
  ({ status, type: JSON_TYPE, body: `${JSON.stringify(value ?? null, null, 2)}\n`, ...(headers ? { headers } : {}) });


function routes(options: StatusServerOptions, cacheMs: number): ReadonlyMap<string, Route> {
  const { metrics, source } = options;
  // One kernel read and one serialization for every request within cacheMs (and those in flight).
  const state = sharedRead(async () => json(200, await source.state()), cacheMs);
  const conntrack = sharedRead(async () => json(200, await source.conntrack()), cacheMs);
  return new Map<string, Route>([
    ['/healthz', async () => {
      const health = source.healthy();
      return health.ok
        ? { status: 200, type: TEXT_TYPE, body: 'ok\n' }
        : { status: 503, type: TEXT_TYPE, body: `unhealthy: ${health.reason ?? 'the last reconcile failed'}\n` };
    }],
    ['/metrics', async () => ({ status: 200, type: metrics.contentType, body: await metrics.text() })],
    ['/v1/state', () => state.get()],
    ['/v1/conntrack', () => conntrack.get()],
  ]);
}

/** The host of a Host header ("[::1]:9410" → "::1", "Node.:80" → "node"). */
export function hostOf(header: string): string {
  const text = header.trim().toLowerCase();
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(text);
  if (bracketed) return bracketed[1] ?? '';
  return text.replace(/:\d*$/, '').replace(/\.$/, '');
}

/**
 * May a request with this Host header be answered? IP literals, `localhost` and `names` (lower case):
 * a DNS name that someone else controls (DNS rebinding) is none of these. No header (HTTP/1.0) passes:
 * browsers always send one.
 */
export function hostAllowed(header: string | undefined, names: ReadonlySet<string>): boolean {
  if (header === undefined) return true;
  const host = hostOf(header);
  return isIP(host) !== 0 || host === 'localhost' || names.has(host);
}

async function respond(req: IncomingMessage, table: ReadonlyMap<string, Route>, names: ReadonlySet<string>): Promise<Reply> {
  const method = req.method ?? '';
  if (method !== 'GET' && method !== 'HEAD') {
    return json(405, { error: `method ${method} not allowed: this API is read-only (${ALLOWED})` }, { Allow: ALLOWED });
  }
  if (!hostAllowed(req.headers.host, names)) {
    return json(403, { error: `host ${JSON.stringify((req.headers.host ?? '').slice(0, 80))} not allowed: use an IP address, localhost or ${[...names].join(', ')}` });
  }
  const route = table.get(pathOf(req));
  if (route === undefined) return json(404, { error: `not found; the paths are ${[...table.keys()].join(', ')}` });
  return route();
}

/** The path without its query string. */
const pathOf = (req: IncomingMessage): string => (req.url ?? '/').split('?', 1)[0] ?? '/';

function send(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  const body = Buffer.from(reply.body, 'utf8');
  res.writeHead(reply.status, {
    'Content-Type': reply.type,
    'Content-Length': body.length,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...reply.headers,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const { log } = options;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const table = routes(options, limits.cacheMs);
  const names = new Set([hostname(), ...(options.hostNames ?? [])].map((n) => n.toLowerCase()));
  const server = createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // how often node checks the two timeouts above (its default, 30 s, would let idle sockets live that long)
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  }, (req, res) => {
    req.resume(); // bodies are ignored, but read so the connection stays usable
    const started = performance.now();
    const path = pathOf(req);
    respond(req, table, names)
      .catch((e: unknown): Reply => {
        log.error({ err: e, method: req.method, path }, 'status API: handler failed');
        return json(500, { error: errorText(e) });
      })
      .then((reply) => {
        send(req, res, reply);
        log.debug({ method: req.method, path, status: reply.status, durationMs: Math.round(performance.now() - started) }, 'status API request');
      })
      .catch((e: unknown) => {
        log.error({ err: e, path }, 'status API: could not send the reply');
        res.destroy();
      });
  });
  server.maxConnections = limits.maxConnections;
  let dropped = 0;
  server.on('drop', () => {
    dropped += 1;
    log.debug({ dropped, maxConnections: limits.maxConnections }, 'status API: connection refused, too many open');
  });

  await new Promise<void>((resolve, reject) => {
    const fail = (e: Error): void => reject(new Error(`status API: cannot listen on ${options.host}:${options.port}: ${e.message}`));
    server.once('error', fail);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', fail);
      resolve();
    });
  });
  server.on('error', (e) => log.error({ err: e }, 'status API: server error'));
  const bound = server.address() as AddressInfo;
  const address = { host: bound.address, port: bound.port };
  log.info({ ...address, ...limits }, 'status API listening');
  if (reachableFromOthers(address)) {
    log.warn({ ...address }, `status API listens beyond loopback (${address.host}): any machine that reaches this node can read its state, flows and metrics`);
  }

  let closing: Promise<void> | undefined;
  return {
    address,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
