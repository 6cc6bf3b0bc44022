/**
 * Log priorities for journald. The daemon's lines are pino's JSON on stdout; under systemd that stream
 * is the journal's, and journald reads a leading `<N>` as the line's syslog priority (systemd.exec(5),
 * SyslogLevelPrefix=, on by default) and strips it. Without it every line is "info" (6) and
 * `journalctl -p warning` filters nothing. Elsewhere (a terminal, a log file of the one-box lab) the
 * lines stay plain JSON. Pure but for stdoutIsJournal's fstat.
 */
import { fstatSync } from 'node:fs';

/** pino's numeric level → syslog priority: fatal crit(2), error err(3), warn warning(4), info 6, debug and trace 7. */
export function syslogPriority(pinoLevel: number): number {
  if (pinoLevel >= 60) return 2;
  if (pinoLevel >= 50) return 3;
  if (pinoLevel >= 40) return 4;
  if (pinoLevel >= 30) return 6;
  return 7;
}

/** `{"level":40,…}\n` → `<4>{"level":40,…}\n`; a line without a leading level is left as it is. */
export function withPriority(line: string): string {
  const level = /^\{"level":(\d+)[,}]/.exec(line)?.[1];
  return level === undefined ? line : `<${syslogPriority(Number(level))}>${line}`;
}

/**
 * True when file descriptor FD is the stream systemd connected to the journal: JOURNAL_STREAM holds its
 * "device:inode" (systemd.exec(5)), which a redirected or inherited stdout does not match.
 */
export function isJournalStream(journalStream: string | undefined, stat: { dev: number | bigint; ino: number | bigint }): boolean {
  const m = /^(\d+):(\d+)$/.exec(journalStream ?? '');
  return m !== null && BigInt(m[1]!) === BigInt(stat.dev) && BigInt(m[2]!) === BigInt(stat.ino);
}

export function stdoutIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.JOURNAL_STREAM === undefined) return false;
  try {
    return isJournalStream(env.JOURNAL_STREAM, fstatSync(1, { bigint: true }));
  } catch {
    return false;
  }
}
