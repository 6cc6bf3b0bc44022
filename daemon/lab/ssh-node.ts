/**
 * A lab node on another machine, reached over ssh, for the one command that must act on several
 * machines at once: `lvslab drill failover --ssh-config FILE` (the Vagrant lab, driven from the host).
 * Nothing else in lvslab runs commands on another machine. FILE is an ssh_config whose Host names are
 * the lab's node names, as `vagrant ssh-config` writes it; the user it logs in as needs passwordless
 * sudo (Vagrant's `vagrant` has it), since every command runs as root there (`sudo -n`).
 *
 * ssh hands the remote side one command line, which its shell splits again: each argument is quoted
 * for a POSIX shell here, so that the argv arrives as it was given. One connection per node is kept
 * open for the drill's length (a master connection, started detached: an ssh that backgrounds itself
 * as master keeps the output pipes of the command that started it open, and whoever reads them waits
 * for ever), so a command costs no new handshake.
 */
import type { Runner } from '../kernel/runner.js';

/** One argument quoted for a POSIX shell: as it is when it has no character the shell treats specially. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

export interface SshTarget {
  /** The ssh_config file (`vagrant ssh-config > FILE`). */
  readonly configFile: string;
  /** The folder of the shared connections' sockets (one per node; the drill makes and removes it). */
  readonly controlDir: string;
}

const options = (t: SshTarget, master: 'yes' | 'no' | 'none'): string[] => [
  '-F', t.configFile,
  '-o', 'BatchMode=yes', // never a password prompt: a refusal is an error
  '-o', 'ConnectTimeout=10',
  ...(master === 'none' ? ['-o', 'ControlPath=none'] : ['-o', `ControlMaster=${master}`, '-o', `ControlPath=${t.controlDir}/%C`]),
];

/** The argv of `node`'s master connection (no command; it ends with `sshExitArgv`), to start detached. */
export function sshMasterArgv(t: SshTarget, node: string): string[] {
  return ['ssh', ...options(t, 'yes'), '-o', 'ControlPersist=no', '-N', node];
}

/** The argv that asks whether `node`'s master connection is up (exit 0), and the one that ends it. */
export function sshCheckArgv(t: SshTarget, node: string): string[] {
  return ['ssh', ...options(t, 'no'), '-O', 'check', node];
}
export function sshExitArgv(t: SshTarget, node: string): string[] {
  return ['ssh', ...options(t, 'no'), '-O', 'exit', node];
}

/**
 * The argv that runs `argv` on `node`: as root (sudo -n) unless `asRoot` is false (sudo alone took 1 to
 * 2.4 s on an emulated VM: a clock read through it would be that far off), through the node's master
 * connection when that is up; with `own`, over a connection of its own. A program that is stopped from
 * here (ip monitor) needs its own: through the master, the master holds this side's output pipes (ssh
 * passes them to it) until the remote program ends, and a reader of them waits that long.
 */
export function sshArgv(t: SshTarget, node: string, argv: readonly string[], how: { readonly own?: boolean; readonly asRoot?: boolean } = {}): string[] {
  if (argv.length === 0) throw new Error('ssh: empty argv');
  const command = how.asRoot === false ? argv : ['sudo', '-n', ...argv];
  return ['ssh', ...options(t, how.own === true ? 'none' : 'no'), node, '--', command.map(shellQuote).join(' ')];
}

/** A Runner whose commands run on `node` over ssh (as root unless `asRoot` is false), through `local` (this machine's runner: the one runner module). */
export function sshRunner(local: Runner, t: SshTarget, node: string, asRoot = true): Runner {
  return { netns: undefined, run: (argv, o) => local.run(sshArgv(t, node, argv, { asRoot }), o) };
}
