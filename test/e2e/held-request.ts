/**
 * Established connections held open through a failover, against the lab's built-in backend (which
 * closes each connection after one answer, so a connection is held by not finishing its request):
 *
 *   node held-request.js HOST PORT CONNECTIONS STOPFILE SECONDS
 *
 * opens CONNECTIONS connections one after the other, sends each a request line, then a header line
 * on each every 500 ms (a segment each way across the director: the data and its ACK); once STOPFILE
 * exists (or after SECONDS) it ends each request with the blank line and waits up to 5 s for its
 * answer, the real server's name. A socket error or close before the answer is a broken connection.
 * Prints one JSON line: { connections: [{ index, server?, error? }] }. Bounded: the backend's
 * headersTimeout (60 s) is far beyond SECONDS as the tests use it.
 */
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

const [host = '', port = '0', count = '1', stopFile = '', seconds = '40'] = process.argv.slice(2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Held {
  readonly index: number;
  readonly socket: Socket;
  received: string;
  error?: string;
  closed: boolean;
}

function open(index: number): Promise<Held> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port) });
    const held: Held = { index, socket, received: '', closed: false };
    socket.setTimeout(5000, () => reject(new Error(`connection ${index}: no connect within 5 s`)));
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n`);
      resolve(held);
    });
    socket.on('data', (chunk) => { held.received += chunk.toString(); });
    socket.on('error', (err) => { held.error ??= err.message; if (!socket.connecting) return; reject(err); });
    socket.on('close', () => { held.closed = true; });
  });
}

const held: Held[] = [];
for (let i = 0; i < Number(count); i += 1) held.push(await open(i));
process.stderr.write(`held-request: ${held.length} connections open\n`);
const deadline = Date.now() + Number(seconds) * 1000;
for (let tick = 0; Date.now() < deadline && !(stopFile !== '' && existsSync(stopFile)); tick += 1) {
  for (const h of held) if (!h.closed) h.socket.write(`X-Tick: ${tick}\r\n`);
  await sleep(500);
}
for (const h of held) if (!h.closed) h.socket.write('\r\n');
const answered = Date.now() + 5000;
while (Date.now() < answered && held.some((h) => !h.closed && !/\r\n\r\n[\s\S]+\n/.test(h.received))) await sleep(100);
const connections = held.map((h) => {
  const body = /\r\n\r\n([\s\S]*)$/.exec(h.received)?.[1]?.trim();
  const status = /^HTTP\/1\.1 (\d+)/.exec(h.received)?.[1];
  h.socket.destroy();
  return status === '200' && body ? { index: h.index, server: body }
    : { index: h.index, error: h.error ?? (h.closed ? `closed after ${h.received.length} bytes` : 'no answer within 5 s') };
});
process.stdout.write(`${JSON.stringify({ connections })}\n`);
