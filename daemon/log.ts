/** pino loggers: the daemon logs JSON on stdout (journald keeps it); the CLI logs warnings on stderr. */
import pino, { type Logger } from 'pino';

const level = (fallback: string): string => process.env.LVSLAB_LOG_LEVEL ?? fallback;

export const daemonLogger = (bindings: Record<string, string>): Logger =>
  pino({ level: level('info'), base: { pid: process.pid, ...bindings } });

export const cliLogger = (): Logger => pino({ level: level('warn') }, pino.destination(2));
