/** `lvslab trace --from NODE --to IP:PORT [--json] [LAB]`: one real request, and the path it took. */
import { ipv4Problem } from '../config/ipv4.js';
import { parseHostPort } from '../kernel/ipvs/address.js';
import { directorOf, findNode } from '../plan/plan.js';
import { renderTrace } from '../trace/render.js';
import { runTrace } from '../trace/run.js';
import { traceDocument } from './json-documents.js';
import { CliError, EXIT, resolveLab, upLabAsItRuns, type CliContext } from './context.js';

export interface TraceFlags {
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly json: boolean;
}

export async function traceCommand(ctx: CliContext, labPath: string | undefined, flags: TraceFlags): Promise<number> {
  if (flags.from === undefined || flags.to === undefined) throw new CliError('trace needs --from NODE and --to IP:PORT', EXIT.badInput);
  const to = parseHostPort(flags.to);
  const problem = to === undefined ? 'not IP:PORT' : (ipv4Problem(to.address) ?? (to.port < 1 ? 'port 0' : undefined));
  if (to === undefined || problem !== undefined) {
    throw new CliError(`--to: ${JSON.stringify(flags.to)} must be IPv4:PORT with a port from 1 to 65535, like 192.168.113.101:30080 (${problem})`, EXIT.badInput);
  }
  const { lab: asWritten } = await resolveLab(labPath, false);
  try {
    findNode(asWritten, flags.from);
  } catch (e) {
    throw new CliError(`--from: ${(e as Error).message}`, EXIT.badInput);
  }
  const { lab, access } = await upLabAsItRuns(asWritten, ctx.log);
  const director = directorOf(lab);
  for (const node of [flags.from, director.name]) {
    if (access.placeOf(node) === 'remote') throw new CliError(`trace runs where ${node} is reachable (this machine or its namespace); ${node} is another machine`);
  }
  const run = await runTrace(lab, flags.from, { ...to, protocol: 'tcp' }, { from: access.runnerFor(flags.from), director: access.runnerFor(director.name) });
  ctx.out(flags.json ? JSON.stringify(traceDocument(run), null, 2) : [renderTrace(run.trace), ...run.notes.map((n) => `note: ${n}`)].join('\n'));
  return run.trace.request.ok ? EXIT.ok : EXIT.failed;
}
