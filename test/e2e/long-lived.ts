/**
 * Long-lived TCP connections for the soak in systemd.test.ts. The lab's built-in backend cannot hold one
 * open: it answers every HTTP request with `Connection: close` (daemon/backend/backends.ts), so each
 * request is a new IPVS connection. Hence this pair, both bounded in time:
 *
 *   node long-lived.js serve NAME PORT SECONDS STOPFILE [HTTP_PORT]
 *     (in a real server's namespace) answers each line `ping N` with `NAME N` on the same connection,
 *     with no idle timeout; exits after SECONDS or once STOPFILE exists. With HTTP_PORT it also answers
 *     HTTP there as the daemon's built-in backend does (`NAME`, `Connection: close`), so the soak can
 *     stop the real servers' daemons: only the director's daemon is under test.
 *   node long-lived.js client HOST PORT CONNECTIONS INTERVAL_MS TIMEOUT_MS SECONDS STOPFILE
 *     (in the client's namespace) opens CONNECTIONS connections one after the other (each once the one
 *     before has its first answer: rr spreads them over the real servers), then sends a ping on each
 *     every INTERVAL_MS. A ping not answered within TIMEOUT_MS, a socket error or a close is a failure;
 *     a closed connection is opened again and counted as replaced. After SECONDS or once STOPFILE exists
 *     it waits for the pings in flight, resets its connections (RST: IPVS forgets a reset connection
 *     after its 10 s CLOSE timeout, where a FIN leaves it in TIME_WAIT for 2 min) and prints one JSON line.
 */
import { existsSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls `onLine` with each complete line the socket receives. */
function lines(socket: Socket, onLine: (line: string) => void): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n')) >= 0) {
      onLine(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
    }
  });
}

const listen = (server: Server, port: number) => new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, '0.0.0.0', resolve);
});

async function serve(name: string, port: number, seconds: number, stopFile: string, httpPort: number): Promise<void> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    lines(socket, (line) => {
      const ping = /^ping (\d+)$/.exec(line);
      if (ping) socket.write(`${name} ${ping[1]}\n`);
    });
  });
  await listen(server, port);
  let requests = 0;
  const http = createHttpServer((_req, res) => {
    requests += 1;
    res.setHeader('Connection', 'close');
    res.end(`${name}\n`);
  });
  if (httpPort > 0) await listen(http, httpPort);
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline && !existsSync(stopFile)) await sleep(250);
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
  if (httpPort > 0) await new Promise((r) => http.close(r));
  process.stdout.write(`${JSON.stringify({ name, port, accepted, httpPort, requests })}\n`);
}

interface Connection {
  readonly index: number;
  socket?: Socket;
  open: boolean;
  /** The servers that answered on it, in order (one, unless it was replaced). */
  readonly servers: string[];
  sent: number;
  ok: number;
  failed: number;
  replaced: number;
  readonly failures: Record<string, number>;
  readonly pending: Map<number, NodeJS.Timeout>;
}

async function client(host: string, port: number, count: number, intervalMs: number, timeoutMs: number, seconds: number, stopFile: string): Promise<void> {
  const started = Date.now();
  let stopping = false;
  let next = 0;
  const fail = (c: Connection, why: string) => {
    c.failed += 1;
    c.failures[why] = (c.failures[why] ?? 0) + 1;
  };
  const ping = (c: Connection): Promise<boolean> => {
    const n = ++next;
    c.sent += 1;
    return new Promise((resolve) => {
      c.pending.set(n, setTimeout(() => {
        c.pending.delete(n);
        fail(c, 'timeout');
        resolve(false);
      }, timeoutMs));
      c.socket?.write(`ping ${n}\n`);
      const answered = (line: string) => {
        const m = /^(\S+) (\d+)$/.exec(line);
        if (!m || Number(m[2]) !== n || !c.pending.has(n)) return;
        clearTimeout(c.pending.get(n));
        c.pending.delete(n);
        c.ok += 1;
        if (c.servers.at(-1) !== m[1]) c.servers.push(m[1]!);
        c.socket?.off('line', answered);
        resolve(true);
      };
      c.socket?.on('line', answered);
    });
  };
  const open = (c: Connection): Promise<void> => new Promise((resolve) => {
    const socket = connect({ host, port });
    c.socket = socket;
    socket.setMaxListeners(0);
    lines(socket, (line) => socket.emit('line', line));
    socket.once('connect', () => {
      c.open = true;
      resolve();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => fail(c, e.code ?? e.message));
    socket.on('close', () => {
      const wasOpen = c.open;
      c.open = false;
      resolve();
      if (stopping) return;
      for (const [n, timer] of c.pending) {
        clearTimeout(timer);
        c.pending.delete(n);
        fail(c, 'closed with a ping in flight');
      }
      if (wasOpen) fail(c, 'closed');
      c.replaced += 1;
      setTimeout(() => void open(c), 200);
    });
  });
  const conns: Connection[] = [];
  for (let index = 0; index < count; index++) {
    const c: Connection = { index, open: false, servers: [], sent: 0, ok: 0, failed: 0, replaced: 0, failures: {}, pending: new Map() };
    conns.push(c);
    await open(c);
    if (c.open) await ping(c);
  }
  const deadline = started + seconds * 1000;
  const inFlight: Promise<boolean>[] = [];
  for (let tick = 1; Date.now() < deadline && !existsSync(stopFile); tick++) {
    await sleep(Math.max(0, started + tick * intervalMs - Date.now()));
    for (const c of conns) if (c.open) inFlight.push(ping(c));
  }
  await Promise.all(inFlight);
  stopping = true;
  await Promise.all(conns.map((c) => new Promise<void>((resolve) => {
    if (!c.open || !c.socket) return resolve();
    c.socket.once('close', () => resolve());
    c.socket.resetAndDestroy();
  })));
  const connections = conns.map(({ index, servers, sent, ok, failed, replaced, failures }) => ({ index, servers, sent, ok, failed, replaced, failures }));
  const sum = (k: 'sent' | 'ok' | 'failed' | 'replaced') => connections.reduce((a, c) => a + c[k], 0);
  process.stdout.write(`${JSON.stringify({ ms: Date.now() - started, sent: sum('sent'), ok: sum('ok'), failed: sum('failed'), replaced: sum('replaced'), connections })}\n`);
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'serve') {
  const [name = '', port = '0', seconds = '60', stopFile = '', httpPort = '0'] = args;
  await serve(name, Number(port), Number(seconds), stopFile, Number(httpPort));
} else if (mode === 'client') {
  const [host = '', port = '0', count = '3', intervalMs = '1000', timeoutMs = '10000', seconds = '60', stopFile = ''] = args;
  await client(host, Number(port), Number(count), Number(intervalMs), Number(timeoutMs), Number(seconds), stopFile);
} else {
  process.stderr.write('usage: long-lived.js serve NAME PORT SECONDS STOPFILE [HTTP_PORT] | client HOST PORT CONNECTIONS INTERVAL_MS TIMEOUT_MS SECONDS STOPFILE\n');
  process.exit(2);
}
