/**
 * The real servers' built-in backend: on each TCP port an HTTP server that answers the node's name
 * (and closes the connection, so every request is a new IPVS connection) with the address it saw the
 * connection come from in an X-Lvslab-Peer header (the client's, or the director's under SNAT); on
 * each UDP port an answer with the node's name to every datagram.
 */
import { createServer, type Server } from 'node:http';
import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import type { Backend } from '../plan/plan.js';
import { PEER_HEADER } from '../verify/curl.js';

export interface RunningBackends {
  readonly listening: readonly Backend[];
  close(): Promise<void>;
}

export async function startBackends(nodeName: string, backends: readonly Backend[], log: Logger): Promise<RunningBackends> {
  const closers: (() => Promise<void>)[] = [];
  for (const b of backends) {
    closers.push(b.protocol === 'tcp' ? await startHttp(nodeName, b.port) : await startUdp(nodeName, b.port));
    log.info({ protocol: b.protocol, port: b.port }, 'backend listening');
  }
  return {
    listening: backends,
    async close() {
      await Promise.all(closers.map((c) => c()));
    },
  };
}

function startHttp(nodeName: string, port: number): Promise<() => Promise<void>> {
  const server: Server = createServer((req, res) => {
    res.setHeader('Connection', 'close');
    res.setHeader('Content-Type', 'text/plain');
    res.setHeader(PEER_HEADER, req.socket.remoteAddress ?? '');
    res.end(`${nodeName}\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve(() => new Promise((done) => server.close(() => done()))));
  });
}

function startUdp(nodeName: string, port: number): Promise<() => Promise<void>> {
  const socket: Socket = createSocket('udp4');
  socket.on('message', (_msg, peer) => socket.send(`${nodeName}\n`, peer.port, peer.address));
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '0.0.0.0', () => resolve(() => new Promise((done) => socket.close(() => done()))));
  });
}
