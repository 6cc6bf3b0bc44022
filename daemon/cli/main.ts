#!/usr/bin/env node
/**
 * lvslab up [LAB.yaml] | down [LAB.yaml] | verify [LAB.yaml] | check [LAB.yaml] [--node NAME] | doctor [LAB.yaml]
 *        | plan|apply|status|cleanup --node NAME [LAB.yaml]
 * Exit codes: 0 ok, 1 failed (verification or a tool), 2 bad input.
 */
import { parseArgs } from 'node:util';
import { ToolError } from '../kernel/tool-error.js';
import { cliLogger } from '../log.js';
import { checkCommand } from './check-command.js';
import { doctorCommand } from './doctor-command.js';
import { traceCommand } from './trace-command.js';
import { CliError, EXIT, type CliContext } from './context.js';
import { nodeCommand } from './node-commands.js';
import { downCommand, upCommand } from './up-down.js';
import { verifyCommand } from './verify-command.js';

const USAGE = `usage:
  lvslab up [LAB.yaml] [--requests N] [--json] [--timeout S]   build the one-box lab, wait, verify
  lvslab down [LAB.yaml]                                         stop daemons, clean up, remove namespaces
  lvslab verify [LAB.yaml] [--requests N] [--json]               curl each VIP from the client, explain conntrack
  lvslab check [LAB.yaml] [--node NAME]                          validate a lab file; touches nothing
  lvslab doctor [LAB.yaml] [--json]                              services: what answers from where, and why not
  lvslab trace --from NODE --to IP:PORT [LAB.yaml] [--json]      one real request and the rules, IPVS and conntrack it met
  lvslab plan|apply|status|cleanup --node NAME [LAB.yaml] [--json] [--api HOST:PORT]   (status reads the daemon's API)
exit codes: 0 ok, 1 failed, 2 bad input`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      node: { type: 'string' },
      requests: { type: 'string', default: '10' },
      timeout: { type: 'string', default: '300' },
      json: { type: 'boolean', default: false },
      api: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
    },
  });
  const requests = positiveInt('--requests', values.requests!, 1000);
  const timeoutS = positiveInt('--timeout', values.timeout!, 3600);
  if (positionals.length > 1) throw new CliError(`one lab file at most, got: ${positionals.join(' ')}`, EXIT.badInput);
  const labPath = positionals[0];
  const ctx: CliContext = { log: cliLogger(), out: (line) => process.stdout.write(`${line}\n`) };
  switch (command) {
    case 'up': return upCommand(ctx, labPath, { requests, json: values.json!, timeoutS }, rest.filter((a) => a !== labPath));
    case 'down': return downCommand(ctx, labPath);
    case 'verify': return verifyCommand(ctx, labPath, { requests, json: values.json! });
    case 'check': return checkCommand(ctx, labPath, values.node);
    case 'doctor': return doctorCommand(ctx, labPath, values.json!);
    case 'trace': return traceCommand(ctx, labPath, { from: values.from, to: values.to, json: values.json! });
    case 'plan': case 'apply': case 'status': case 'cleanup':
      return nodeCommand(ctx, command, labPath, values.node, values.json!, values.api);
    default:
      throw new CliError(command ? `unknown command '${command}'\n${USAGE}` : USAGE, EXIT.badInput);
  }
}

function positiveInt(flag: string, value: string, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max) throw new CliError(`${flag}: '${value}' must be a whole number from 1 to ${max}`, EXIT.badInput);
  return n;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (e instanceof CliError) {
    process.stderr.write(`lvslab: ${e.message}\n`);
    process.exitCode = e.exitCode;
  } else if (e instanceof ToolError) {
    process.stderr.write(`lvslab: ${e.message}\n`);
    process.exitCode = EXIT.failed;
  } else if (String((e as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`lvslab: ${(e as Error).message}\n${USAGE}\n`);
    process.exitCode = EXIT.badInput;
  } else {
    process.stderr.write(`lvslab: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = EXIT.failed;
  }
}
