#!/usr/bin/env node
/**
 * lvslab: the command line (program.ts parses it; `lvslab --help`, `lvslab help COMMAND`).
 * Exit codes: 0 ok, 1 failed (verification or a tool), 2 bad input. Failures and usage errors go to
 * stderr; what a command reports goes to stdout.
 */
import { ToolError } from '../kernel/tool-error.js';
import { cliLogger } from '../log.js';
import { packageVersion } from '../paths.js';
import { checkCommand } from './check-command.js';
import { compareCommand } from './compare-command.js';
import { doctorCommand } from './doctor-command.js';
import { traceCommand } from './trace-command.js';
import { drillAgentCommand, drillCommand } from './drill-command.js';
import { haFilesCommand } from './ha-files-command.js';
import { CliError, EXIT, type CliContext } from './context.js';
import { nodeCommand } from './node-commands.js';
import { completionTable, parseCommandLine, type Invocation } from './program.js';
import { bashCompletion } from './completion.js';
import { downCommand, upCommand } from './up-down.js';
import { verifyCommand } from './verify-command.js';

/**
 * Every command but check reads or writes a kernel (ipvsadm, ipset, iptables, ip netns): as another
 * user the first tool would fail with its own words ("Kernel error received: Operation not permitted").
 */
function needsRoot(i: Invocation, uid = process.getuid?.()): void {
  if (i.command !== 'check' && i.command !== 'completion' && uid !== undefined && uid !== 0) {
    throw new CliError(`lvslab ${i.command} needs root (it runs ipvsadm, ipset, iptables and ip on the lab's nodes): run it as root, e.g. sudo lvslab ${i.command}`, EXIT.failed);
  }
}

function run(ctx: CliContext, i: Invocation): Promise<number> {
  needsRoot(i);
  switch (i.command) {
    case 'up': return upCommand(ctx, i.lab, { requests: i.requests, json: i.json, timeoutS: i.timeoutS });
    case 'down': return downCommand(ctx, i.lab);
    case 'verify': return verifyCommand(ctx, i.lab, { requests: i.requests, json: i.json });
    case 'check': return checkCommand(ctx, i.lab, i.node);
    case 'doctor': return doctorCommand(ctx, i.lab, i.json);
    case 'compare': return compareCommand(ctx, i.labs, { requests: i.requests, timeoutS: i.timeoutS, json: i.json });
    case 'trace': return traceCommand(ctx, i.lab, { from: i.from, to: i.to, json: i.json });
    case 'drill': return drillCommand(ctx, i.lab, { way: i.way, held: i.held, everyMs: i.everyMs, json: i.json, ...(i.sshConfig === undefined ? {} : { sshConfig: i.sshConfig }) });
    case 'drill-agent': return drillAgentCommand(ctx, i.options);
    case 'ha-files': return haFilesCommand(ctx, i.lab, i.node, i.link, i.out);
    case 'plan': case 'apply': case 'status': case 'cleanup':
      return nodeCommand(ctx, i.command, i.lab, i.node, i.json, i.api);
    case 'completion': {
      const { commands, programFlags } = completionTable(packageVersion);
      ctx.out(bashCompletion('lvslab', commands, programFlags).trimEnd());
      return Promise.resolve(EXIT.ok);
    }
  }
}

try {
  const parsed = await parseCommandLine(process.argv.slice(2), packageVersion);
  process.exitCode = 'exit' in parsed ? parsed.exit : await run({
    log: cliLogger(),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  }, parsed);
} catch (e) {
  if (e instanceof CliError) {
    process.stderr.write(`lvslab: ${e.message}\n`);
    process.exitCode = e.exitCode;
  } else if (e instanceof ToolError) {
    process.stderr.write(`lvslab: ${e.message}\n`);
    process.exitCode = EXIT.failed;
  } else {
    process.stderr.write(`lvslab: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = EXIT.failed;
  }
}
