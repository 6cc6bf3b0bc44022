/**
 * pino loggers: the daemon logs JSON on stdout (journald keeps it, each line with its priority:
 * systemd/journal.ts); the CLI logs warnings on stderr.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import { stdoutIsJournal, withPriority } from './systemd/journal.js';

const level = (fallback: string): string => process.env.LVSLAB_LOG_LEVEL ?? fallback;

/** JOURNAL: prefix each line with its syslog priority (default: when stdout is the journal). */
export const daemonLogger = (bindings: Record<string, string>, journal = stdoutIsJournal(), destination: DestinationStream = pino.destination(1)): Logger =>
  pino({ level: level('info'), base: { pid: process.pid, ...bindings }, ...(journal ? { hooks: { streamWrite: withPriority } } : {}) }, destination);

export const cliLogger = (): Logger => pino({ level: level('warn') }, pino.destination(2));
