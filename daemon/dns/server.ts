/**
 * The DNS server of the service zone, over UDP and TCP on one host:port (node:dgram and node:net
 * only). Each query is answered by answer.ts against the zone of the moment (`zone()`, so a reload
 * swaps it). TCP follows RFC 7766: length-prefixed messages, several per connection, closed 5 s after
 * the last whole message (bytes of an unfinished one do not count), 30 s after it opened whatever it
 * does, or on a broken stream; at most 64 connections at once (more are closed at once). Socket errors
 * are logged, never thrown; malformed packets are dropped with at most one warning a second.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server as TcpServer, type Socket as TcpSocket } from 'node:net';
import { respond, type DnsOutcome } from './answer.js';
import { FrameReader, frame } from './tcp-frames.js';
import { createWarnLimit } from './warn-limit.js';
import type { ServiceZone } from './zone.js';
import { errorText } from '../kernel/tool-error.js';

/** A TCP connection that completes no message for this long is closed. */
export const TCP_IDLE_TIMEOUT_MS = 5_000;
/** A TCP connection is closed this long after it opened, busy or not (a client opens another). */
export const TCP_MAX_LIFETIME_MS = 30_000;
/** TCP connections open at once; more are closed as they come. */
export const TCP_MAX_CONNECTIONS = 64;
/** A TCP connection whose replies pile up unread past this many bytes is closed. */
export const TCP_MAX_UNSENT_BYTES = 64 * 1024;
/** Warnings about dropped packets: at most one per this interval. */
const WARN_INTERVAL_MS = 1_000;
/** With port 0, how many UDP ports to try before giving up when TCP finds the same port taken. */
const PORT_ZERO_ATTEMPTS = 5;

/** The logger calls the server makes (a pino Logger fits). */
export interface DnsLog {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface DnsServerOptions {
  /** Address to bind, UDP and TCP alike. */
  readonly host: string;
  /** Port to bind, UDP and TCP alike; 0 picks a free one (see RunningDns). */
  readonly port: number;
  /** The zone to answer from, asked for each query. */
  readonly zone: () => ServiceZone;
  readonly log: DnsLog;
  /** Default TCP_IDLE_TIMEOUT_MS. */
  readonly tcpIdleTimeoutMs?: number;
  /** Default TCP_MAX_LIFETIME_MS. */
  readonly tcpMaxLifetimeMs?: number;
  /** Default TCP_MAX_CONNECTIONS. */
  readonly tcpMaxConnections?: number;
}

export interface RunningDns {
  readonly udpPort: number;
  readonly tcpPort: number;
  /** Stops both listeners and closes open TCP connections. Safe to call more than once. */
  close(): Promise<void>;
}

type Transport = 'udp' | 'tcp';

const isAddressInUse = (e: unknown): boolean => e instanceof Error && 'code' in e && e.code === 'EADDRINUSE';

/** A failure to bind; `inUse` when the address was taken (with port 0, worth another try). */
class ListenError extends Error {
  constructor(message: string, readonly inUse: boolean) {
    super(message);
    this.name = 'ListenError';
  }
}

/**
 * Resolves once `bind` has called back, rejects on the socket's first error before that; from then
 * on its errors go to `onError` (an 'error' event without a listener would end the process).
 */
function bound(emitter: UdpSocket | TcpServer, bind: (done: () => void) => void, onError: (e: Error) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    emitter.once('error', reject);
    bind(() => {
      emitter.off('error', reject);
      emitter.on('error', onError);
      resolve();
    });
  });
}

const closeUdp = (udp: UdpSocket): Promise<void> => new Promise<void>((resolve) => {
  try {
    udp.close(() => resolve());
  } catch {
    resolve(); // already closed
  }
});

const closeTcp = (tcp: TcpServer): Promise<void> => new Promise<void>((resolve) => {
  tcp.close(() => resolve());
});

export async function startDnsServer(options: DnsServerOptions): Promise<RunningDns> {
  const { host, log } = options;
  const warnLimit = createWarnLimit(WARN_INTERVAL_MS);
  const connections = new Set<TcpSocket>();

  /** A warning unless one went out less than a second ago; `heldBack` counts those not logged since. */
  const warnLimited = (fields: Record<string, unknown>, message: string): void => {
    const heldBack = warnLimit.admit();
    if (heldBack !== undefined) log.warn({ ...fields, heldBack }, message);
  };

  /** The reply to one message, or undefined to send none; logs either way. */
  const answer = (message: Buffer, transport: Transport, peer: string): Buffer | undefined => {
    let outcome: DnsOutcome;
    try {
      outcome = respond(message, options.zone());
    } catch (e) {
      outcome = { kind: 'drop', reason: `the zone could not be read: ${errorText(e)}` };
    }
    if (outcome.kind === 'drop') {
      warnLimited({ transport, peer, bytes: message.length, reason: outcome.reason }, 'DNS: dropped a packet');
      return undefined;
    }
    const { name, type, rcode, problem } = outcome;
    log.debug({ transport, peer, name, type, rcode }, 'DNS query');
    if (problem !== undefined) warnLimited({ transport, peer, problem }, 'DNS: answered SERVFAIL');
    return outcome.packet;
  };

  const createUdp = (): UdpSocket => {
    const udp = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    udp.on('message', (message, remote) => {
      const reply = answer(message, 'udp', `${remote.address}:${remote.port}`);
      if (reply === undefined) return;
      udp.send(reply, remote.port, remote.address, (e) => {
        if (e) log.debug({ err: e, peer: `${remote.address}:${remote.port}` }, 'DNS: UDP reply not sent');
      });
    });
    return udp;
  };

  const serveConnection = (socket: TcpSocket): void => {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    connections.add(socket);
    // Timers of our own: socket.setTimeout restarts on every byte, so a byte every few seconds would
    // hold a connection forever.
    const idle = setTimeout(() => socket.destroy(), options.tcpIdleTimeoutMs ?? TCP_IDLE_TIMEOUT_MS);
    const deadline = setTimeout(() => {
      log.debug({ peer }, 'DNS: TCP connection open too long; closing');
      socket.destroy();
    }, options.tcpMaxLifetimeMs ?? TCP_MAX_LIFETIME_MS);
    socket.on('close', () => {
      clearTimeout(idle);
      clearTimeout(deadline);
      connections.delete(socket);
    });
    socket.on('error', (e) => log.debug({ err: e, peer }, 'DNS: TCP connection error'));
    socket.setNoDelay(true);
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      const frames = reader.push(chunk);
      if (!frames.ok) {
        warnLimited({ transport: 'tcp', peer, reason: frames.reason }, 'DNS: closed a TCP connection');
        socket.destroy();
        return;
      }
      if (frames.messages.length > 0) idle.refresh();
      for (const message of frames.messages) {
        const reply = answer(message, 'tcp', peer);
        // A message that gets no reply leaves the stream in doubt: close rather than guess.
        if (reply === undefined) {
          socket.destroy();
          return;
        }
        socket.write(frame(reply));
        if (socket.writableLength > TCP_MAX_UNSENT_BYTES) {
          log.debug({ peer, unsentBytes: socket.writableLength }, 'DNS: TCP peer does not read its replies; closing');
          socket.destroy();
          return;
        }
      }
    });
  };

  const listen = async (port: number): Promise<{ udp: UdpSocket; tcp: TcpServer }> => {
    const udp = createUdp();
    try {
      await bound(udp, (done) => udp.bind({ address: host, port }, done), (e) => log.error({ err: e }, 'DNS: UDP socket error'));
    } catch (e) {
      await closeUdp(udp);
      throw new ListenError(`DNS: cannot listen on ${host}:${port}/udp: ${errorText(e)}`, isAddressInUse(e));
    }
    // TCP on the port UDP got, on the same host (not on every address).
    const udpPort = udp.address().port;
    const tcp = createServer(serveConnection);
    tcp.maxConnections = options.tcpMaxConnections ?? TCP_MAX_CONNECTIONS;
    tcp.on('drop', (peer) => warnLimited({ transport: 'tcp', peer: `${peer?.remoteAddress}:${peer?.remotePort}`, maxConnections: tcp.maxConnections }, 'DNS: refused a TCP connection, too many open'));
    try {
      await bound(tcp, (done) => tcp.listen({ host, port: udpPort, exclusive: true }, done), (e) => log.error({ err: e }, 'DNS: TCP server error'));
    } catch (e) {
      await closeUdp(udp);
      throw new ListenError(`DNS: cannot listen on ${host}:${udpPort}/tcp: ${errorText(e)}`, isAddressInUse(e));
    }
    return { udp, tcp };
  };

  let sockets: { udp: UdpSocket; tcp: TcpServer } | undefined;
  for (let attempt = 1; sockets === undefined; attempt += 1) {
    try {
      sockets = await listen(options.port);
    } catch (e) {
      const retry = options.port === 0 && attempt < PORT_ZERO_ATTEMPTS && e instanceof ListenError && e.inUse;
      if (!retry) throw e;
      log.debug({ attempt, err: e }, 'DNS: the free UDP port is taken for TCP; trying another');
    }
  }
  const { udp, tcp } = sockets;
  const udpPort = udp.address().port;
  const tcpAddress = tcp.address();
  const tcpPort = typeof tcpAddress === 'object' && tcpAddress !== null ? tcpAddress.port : udpPort;
  log.info({ host, udpPort, tcpPort }, 'DNS listening');

  let closing: Promise<void> | undefined;
  return {
    udpPort,
    tcpPort,
    close() {
      closing ??= (async () => {
        for (const socket of connections) socket.destroy();
        await Promise.all([closeUdp(udp), closeTcp(tcp)]);
        const heldBack = warnLimit.flush();
        if (heldBack > 0) log.warn({ heldBack }, 'DNS: dropped packets not warned about before closing');
        log.info({ host, udpPort, tcpPort }, 'DNS closed');
      })();
      return closing;
    },
  };
}
