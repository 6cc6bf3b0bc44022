/**
 * Read-only status over HTTP (node:http only): /healthz, /metrics, /v1/state, /v1/conntrack.
 * GET and HEAD only; nothing here can change state. Query strings and request bodies are ignored.
 * A failing handler gives 500 with the error's message as JSON, never its stack (that goes to the log).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the daemon exposes; every call is a read. */
export interface StatusSource {
  /** The /v1/state document (a StatusDocument from daemon/cli/status-view.ts); JSON-serialisable. */
  /** JSON-serialisable; may be a promise (the daemon reads IPVS connection counts for it). */
  state(): unknown | Promise<unknown>;
  /** The node's conntrack flows, parsed; JSON-serialisable. */
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
}

/** The logger calls the server makes (a pino Logger fits). */
export interface StatusLog {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
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

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function routes(options: StatusServerOptions): ReadonlyMap<string, Route> {
  const { metrics, source } = options;
  // Concurrent /v1/conntrack requests share one `conntrack -L` run.
  let flows: Promise<unknown> | undefined;
  const conntrack = (): Promise<unknown> => {
    flows ??= source.conntrack().finally(() => { flows = undefined; });
    return flows;
  };
  return new Map<string, Route>([
    ['/healthz', async () => {
      const health = source.healthy();
      return health.ok
        ? { status: 200, type: TEXT_TYPE, body: 'ok\n' }
        : { status: 503, type: TEXT_TYPE, body: `unhealthy: ${health.reason ?? 'the last reconcile failed'}\n` };
    }],
    ['/metrics', async () => ({ status: 200, type: metrics.contentType, body: await metrics.text() })],
    ['/v1/state', async () => json(200, await source.state())],
    ['/v1/conntrack', async () => json(200, await conntrack())],
  ]);
}

async function respond(req: IncomingMessage, table: ReadonlyMap<string, Route>): Promise<Reply> {
  const method = req.method ?? '';
  if (method !== 'GET' && method !== 'HEAD') {
    return json(405, { error: `method ${method} not allowed: this API is read-only (${ALLOWED})` }, { Allow: ALLOWED });
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
  const table = routes(options);
  const server = createServer((req, res) => {
    req.resume(); // bodies are ignored, but read so the connection stays usable
    const started = performance.now();
    const path = pathOf(req);
    respond(req, table)
      .catch((e: unknown): Reply => {
        log.error({ err: e, method: req.method, path }, 'status API: handler failed');
        return json(500, { error: messageOf(e) });
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
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;

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
  log.info({ ...address }, 'status API listening');

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
