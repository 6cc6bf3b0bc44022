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
export const isNotExist = (e: unknown): boolean =>
  e instanceof ToolError &&
  /does not exist|No such (file|process|device|service|destination)|Cannot find device|The set with the given name does not exist|Memory allocation problem|No chain\/target\/match by that name/i.test(e.stderr);

/** iptables could not take the xtables lock in time. */
export const isBusy = (e: unknown): boolean =>
  e instanceof ToolError && /Another app is currently holding the xtables lock|Resource temporarily unavailable/i.test(e.stderr);
