/**
 * lvslab's command line, parsed by commander: each command with its own arguments, flags and help;
 * `--version`; `lvslab help COMMAND`. parseCommandLine only parses: it returns what to run, or the exit
 * code of a line that was answered (help, version: 0) or refused (a usage error: 2, its message on
 * stderr naming the command). main.ts runs what it returns.
 */
import { Argument, Command, CommanderError, InvalidArgumentError, Option, type OutputConfiguration } from 'commander';
import type { DrillAgentOptions } from '../ha/drill-agent.js';
import { DRILL_WAYS, type DrillWay } from '../ha/drill-report.js';
import type { CompletionEntry } from './completion.js';
import { EXIT } from './context.js';

export type NodeCommandName = 'plan' | 'apply' | 'status' | 'cleanup';

export type Invocation =
  | { readonly command: 'up'; readonly lab?: string; readonly requests: number; readonly json: boolean; readonly timeoutS: number }
  | { readonly command: 'down'; readonly lab?: string }
  | { readonly command: 'verify'; readonly lab?: string; readonly requests: number; readonly json: boolean }
  | { readonly command: 'check'; readonly lab?: string; readonly node?: string }
  | { readonly command: 'doctor'; readonly lab?: string; readonly json: boolean }
  | { readonly command: 'compare'; readonly labs: readonly string[]; readonly requests: number; readonly timeoutS: number; readonly json: boolean }
  | { readonly command: 'trace'; readonly lab?: string; readonly from: string; readonly to: string; readonly json: boolean }
  | { readonly command: NodeCommandName; readonly lab?: string; readonly node: string; readonly json: boolean; readonly api?: string }
  | { readonly command: 'drill'; readonly lab?: string; readonly way: DrillWay; readonly held: number; readonly everyMs: number; readonly json: boolean; readonly sshConfig?: string }
  | { readonly command: 'drill-agent'; readonly options: DrillAgentOptions }
  | { readonly command: 'ha-files'; readonly lab?: string; readonly node: string; readonly link: string; readonly out: string }
  | { readonly command: 'completion'; readonly shell: 'bash' };

const EXIT_CODES_HELP = '\nExit codes: 0 ok, 1 failed (verification or a tool), 2 bad input (a usage error or a bad lab file).';

/** A commander argument parser for a whole number from 1 to MAX. */
const wholeNumber = (max: number) => (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max) throw new InvalidArgumentError(`must be a whole number from 1 to ${max}`);
  return n;
};

const LAB_DEFAULT = 'the one-box lab running here, else /etc/lvslab/lab.yaml (a node set up by scripts/provision.sh)';

/** The program, its commands and their flags; each action records what it was asked for. */
function buildProgram(version: string, record: (i: Invocation) => void, output?: OutputConfiguration): Command {
  const program = new Command('lvslab')
    .description('an LVS (IPVS) load-balancing lab and kube-proxy-style service node, on real kernel tools')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    // one width everywhere (a terminal's would change it): the README shows this text as it is
    .configureHelp({ helpWidth: 100 })
    .addHelpText('after', EXIT_CODES_HELP);
  if (output) program.configureOutput(output);
  const command = (name: string, description: string, labDefault = LAB_DEFAULT) =>
    program.command(name).description(description).argument('[LAB.yaml]', `the lab file (default: ${labDefault})`)
      .exitOverride().showHelpAfterError(`(lvslab ${name} --help for usage)`);
  const requests = ['--requests <n>', 'requests per virtual server', wholeNumber(1000), 10] as const;

  command('up', 'build the one-box lab (network namespaces; inside the micro-VM when this kernel has no IPVS), wait for convergence, verify', 'the one-box lab running here, else labs/seed.yaml')
    .option(...requests)
    .option('--timeout <seconds>', 'how long to wait for convergence', wholeNumber(3600), 300)
    .option('--json', 'one JSON document on stdout: each node\'s convergence, the verification, the doctor\'s diagnosis')
    .action((lab: string | undefined, o: { requests: number; timeout: number; json?: boolean }) =>
      record({ command: 'up', lab, requests: o.requests, timeoutS: o.timeout, json: o.json === true }));
  command('down', 'stop the lab\'s daemons, remove what lvslab made in each node, remove the namespaces')
    .action((lab: string | undefined) => record({ command: 'down', lab }));
  command('verify', 'curl each VIP from the client and explain the conntrack flows each request left')
    .option(...requests)
    .option('--json', 'the report as JSON')
    .action((lab: string | undefined, o: { requests: number; json?: boolean }) => record({ command: 'verify', lab, requests: o.requests, json: o.json === true }));
  command('check', 'validate a lab file; touches nothing')
    .option('--node <name>', 'also check that NAME is one of its nodes')
    .action((lab: string | undefined, o: { node?: string }) => record({ command: 'check', lab, ...(o.node === undefined ? {} : { node: o.node }) }));
  command('doctor', 'what a kube-proxy-mode lab answers from where, and why not; what DR/TUN real servers lack')
    .option('--json', 'the report as JSON')
    .action((lab: string | undefined, o: { json?: boolean }) => record({ command: 'doctor', lab, json: o.json === true }));
  program.command('compare').description('the same requests through a NAT, a DR and a TUN lab in turn: the three modes compared as measured')
    .argument('[LAB.yaml...]', 'the labs (default: labs/seed.yaml labs/dr.yaml labs/tun.yaml)')
    .exitOverride().showHelpAfterError('(lvslab compare --help for usage)')
    .option(...requests)
    .option('--timeout <seconds>', 'how long to wait for each lab\'s convergence', wholeNumber(3600), 300)
    .option('--json', 'one JSON document: the comparison\'s rows and each lab\'s verification')
    .action((labs: string[], o: { requests: number; timeout: number; json?: boolean }) =>
      record({ command: 'compare', labs, requests: o.requests, timeoutS: o.timeout, json: o.json === true }));
  command('trace', 'one real request from a node and the rules, IPVS and conntrack it met')
    .requiredOption('--from <node>', 'the node the request leaves from')
    .requiredOption('--to <ip:port>', 'where it goes (a VIP, a cluster IP, a node port)')
    .option('--json', 'the trace as JSON')
    .action((lab: string | undefined, o: { from: string; to: string; json?: boolean }) => record({ command: 'trace', lab, from: o.from, to: o.to, json: o.json === true }));
  const nodeCommands: readonly [NodeCommandName, string][] = [
    ['plan', 'what this node would change to hold its part of the lab (writes nothing)'],
    ['apply', 'make this node hold its part of the lab, once, without the daemon'],
    ['status', 'the node\'s daemon state (its status API) and how the node differs from the lab'],
    ['cleanup', 'remove everything lvslab made on this node'],
  ];
  for (const [name, description] of nodeCommands) {
    const c = command(name, description)
      .requiredOption('--node <name>', 'the node of the lab')
      .option('--json', 'the result as JSON');
    if (name === 'status') {
      c.option('--api <host:port>', 'the daemon\'s status API (default: the node\'s `api` in the lab file)')
        .addHelpText('after', '\nExit status: 0 when the node does not differ from the lab (a dry run, with the daemon\'s health\nchecks\' view of its real servers) and its daemon answers, says its last run converged and refused\nno reload; 1 otherwise.');
    }
    c.action((lab: string | undefined, o: { node: string; json?: boolean; api?: string }) =>
      record({ command: name, lab, node: o.node, json: o.json === true, ...(o.api === undefined ? {} : { api: o.api }) }));
  }
  program.command('drill').description('an HA lab\'s master taken away while the client connects, and the failover measured')
    .addArgument(new Argument('<drill>', 'the drill').choices(['failover']))
    .argument('[LAB.yaml]', `the lab file (default: ${LAB_DEFAULT})`)
    .addOption(new Option('--by <way>', 'how the master goes: its keepalived stopped, or its lab link down').choices(DRILL_WAYS).default('keepalived'))
    .option('--held <n>', 'connections the client holds open through the failover', wholeNumber(64), 4)
    .option('--every <ms>', 'the client makes a new connection every this many ms', wholeNumber(10_000), 100)
    .option('--json', 'the drill\'s measurements as JSON')
    .option('--ssh-config <file>', 'the lab is on machines of their own, reached over ssh with this ssh_config (hosts named after the nodes: vagrant ssh-config > FILE)')
    .action((_drill: string, lab: string | undefined, o: { by: DrillWay; held: number; every: number; json?: boolean; sshConfig?: string }) =>
      record({ command: 'drill', lab, way: o.by, held: o.held, everyMs: o.every, json: o.json === true, ...(o.sshConfig === undefined ? {} : { sshConfig: o.sshConfig }) }));
  program.command('ha-files', { hidden: true }).argument('[LAB.yaml]')
    .requiredOption('--node <name>').requiredOption('--link <interface>').requiredOption('--out <dir>')
    .action((lab: string | undefined, o: { node: string; link: string; out: string }) => record({ command: 'ha-files', lab, node: o.node, link: o.link, out: o.out }));
  program.command('drill-agent', { hidden: true })
    .requiredOption('--vip <ip>').requiredOption('--port <n>', '', wholeNumber(65535)).requiredOption('--held <n>', '', wholeNumber(64))
    .requiredOption('--every <ms>', '', wholeNumber(10_000)).requiredOption('--seconds <s>', '', wholeNumber(3600))
    .requiredOption('--ready <file>').requiredOption('--stop <file>')
    .action((o: { vip: string; port: number; held: number; every: number; seconds: number; ready: string; stop: string }) =>
      record({ command: 'drill-agent', options: { vip: o.vip, port: o.port, held: o.held, everyMs: o.every, seconds: o.seconds, readyFile: o.ready, stopFile: o.stop } }));
  program.command('completion').description('print a bash completion script (source it, or save it as /etc/bash_completion.d/lvslab)')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash']))
    .exitOverride().showHelpAfterError('(lvslab completion --help for usage)')
    .action((shell: 'bash') => record({ command: 'completion', shell }));
  return program;
}

/** Each command with the long flags it takes, for the completion script. */
export function completionTable(version: string): { commands: CompletionEntry[]; programFlags: string[] } {
  const program = buildProgram(version, () => undefined);
  const longs = (c: Command) => [...c.options.map((o) => o.long ?? ''), '--help'].filter((f) => f !== '');
  return {
    commands: [...program.commands.filter((c) => c.name() !== 'drill-agent').map((c) => ({ name: c.name(), flags: longs(c) })), { name: 'help', flags: [] }],
    programFlags: ['--help', '--version'],
  };
}

/**
 * ARGV (without node and the script) → what to run, or the exit code of a line already answered:
 * help and version print on stdout (0); a usage error prints on stderr, naming the command (2).
 */
export async function parseCommandLine(argv: readonly string[], version: string, output?: OutputConfiguration): Promise<Invocation | { readonly exit: number }> {
  let invocation: Invocation | undefined;
  const program = buildProgram(version, (i) => (invocation = i), output);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return { exit: e.exitCode === 0 ? EXIT.ok : EXIT.badInput };
    throw e;
  }
  return invocation ?? { exit: EXIT.badInput };
}

/** The help text of COMMAND (the program's without one), as `lvslab [COMMAND] --help` prints it. */
export function helpText(version: string, command?: string): string {
  const program = buildProgram(version, () => undefined);
  const target = command === undefined ? program : program.commands.find((c) => c.name() === command);
  if (target === undefined) throw new Error(`no command ${command}`);
  return target.helpInformation();
}
