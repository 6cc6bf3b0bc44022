/**
 * sd_notify for Type=notify: READY=1 after the first successful reconcile, STATUS= lines a person can
 * read in `systemctl status`, WATCHDOG=1 every half WatchdogSec, STOPPING=1. Outside systemd
 * (no NOTIFY_SOCKET) every call does nothing.
 */
import { createRequire } from 'node:module';
import type { Logger } from 'pino';

export interface Notifier {
  readonly enabled: boolean;
  ready(status: string): void;
  status(status: string): void;
  stopping(): void;
  /** Starts WATCHDOG=1 pings when systemd asked for them (WATCHDOG_USEC); returns the interval or 0. */
  startWatchdog(): number;
  close(): void;
}

const disabled: Notifier = { enabled: false, ready() {}, status() {}, stopping() {}, startWatchdog: () => 0, close() {} };

export function systemdNotifier(log: Logger, env: NodeJS.ProcessEnv = process.env): Notifier {
  const path = env.NOTIFY_SOCKET;
  if (!path) return disabled;
  if (!path.startsWith('/')) {
    log.warn({ NOTIFY_SOCKET: path }, 'sd_notify: only path sockets are supported, not abstract ones; readiness will not be reported');
    return disabled;
  }
  // A native addon: loaded only under systemd, and kept out of the bundle (scripts/bundle.mjs).
  const { createSocket } = createRequire(import.meta.url)('unix-dgram') as typeof import('unix-dgram');
  const socket = createSocket('unix_dgram');
  socket.on('error', (err: Error) => log.warn({ err }, 'sd_notify: send failed'));
  let timer: NodeJS.Timeout | undefined;
  const send = (message: string) => {
    const buf = Buffer.from(message);
    socket.send(buf, 0, buf.length, path);
  };
  const oneLine = (s: string) => s.replace(/\s+/g, ' ').slice(0, 200);
  return {
    enabled: true,
    ready: (status) => send(`READY=1\nSTATUS=${oneLine(status)}`),
    status: (status) => send(`STATUS=${oneLine(status)}`),
    stopping: () => send('STOPPING=1'),
    startWatchdog() {
      const usec = Number(env.WATCHDOG_USEC);
      const forUs = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
      if (!Number.isFinite(usec) || usec <= 0 || !forUs) return 0;
      const everyMs = Math.max(100, Math.floor(usec / 2000));
      timer = setInterval(() => send('WATCHDOG=1'), everyMs);
      timer.unref();
      send('WATCHDOG=1');
      return everyMs;
    },
    close() {
      if (timer) clearInterval(timer);
      socket.close();
    },
  };
}
