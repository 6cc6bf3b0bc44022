/** The one error type for a failed tool run: what ran, how it ended, what it said. */
export class ToolError extends Error {
  readonly argv: readonly string[];
  readonly exitCode: number | undefined;
  readonly stderr: string;
  readonly durationMs: number;
  readonly timedOut: boolean;

  constructor(init: { argv: readonly string[]; exitCode: number | undefined; stderr: string; durationMs: number; timedOut: boolean; detail?: string }) {
    const how = init.timedOut ? 'timed out' : init.exitCode === undefined ? 'could not start' : `exited ${init.exitCode}`;
    const said = (init.detail ?? init.stderr).trim().split('\n').slice(0, 6).join(' | ');
    super(`${init.argv[0]} ${how}: ${said || '(no output)'} [argv: ${init.argv.join(' ')}]`);
    this.name = 'ToolError';
    this.argv = init.argv;
    this.exitCode = init.exitCode;
    this.stderr = init.stderr;
    this.durationMs = init.durationMs;
    this.timedOut = init.timedOut;
  }

  /** The program itself is missing from this machine. */
  get notInstalled(): boolean {
    return this.exitCode === undefined && !this.timedOut;
  }
}

/** Tool stderr that says the object does not exist (ipset, ip, ipvsadm, iptables). */
/** Any thrown value as one line of text: an Error's message, else the value itself. */
export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export const isNotExist = (e: unknown): boolean =>
  e instanceof ToolError &&
  /does not exist|No such (file|process|device|service|destination)|Cannot find device|The set with the given name does not exist|Memory allocation problem|No chain\/target\/match by that name/i.test(e.stderr);

/** iptables could not take the xtables lock in time. */
export const isBusy = (e: unknown): boolean =>
  e instanceof ToolError && /Another app is currently holding the xtables lock|Resource temporarily unavailable/i.test(e.stderr);

/** Why a run failed, as data: no tool output or batch text (the daemon's log has those). */
export interface RunFailure {
  /** One line: "ipset exited 1; its stderr is in the daemon's log", or an error's first line. */
  readonly reason: string;
  /** The failing program's argv, when a tool failed. */
  readonly argv?: readonly string[];
  readonly exitCode?: number;
  readonly timedOut?: true;
}

/** Longest reason taken from an error that is not a tool's. */
const REASON_CHARS = 160;

/**
 * `e` as a RunFailure: a ToolError (a failed batch too) by program, argv and how it ended — never its
 * stderr or batch, which can hold a blocklist's entries; any other error by its first line.
 */
export function runFailure(e: unknown): RunFailure {
  if (e instanceof ToolError) {
    const [program = '?'] = e.argv;
    const how = e.timedOut ? 'timed out' : e.notInstalled ? 'could not start (not installed?)' : `exited ${e.exitCode}`;
    return {
      reason: `${program} ${how}; its stderr is in the daemon's log`, argv: [...e.argv],
      ...(e.exitCode === undefined ? {} : { exitCode: e.exitCode }), ...(e.timedOut ? { timedOut: true } : {}),
    };
  }
  const message = errorText(e);
  const first = message.split('\n', 1)[0] ?? '';
  return { reason: first.length > REASON_CHARS ? `${first.slice(0, REASON_CHARS)}…` : first };
}
