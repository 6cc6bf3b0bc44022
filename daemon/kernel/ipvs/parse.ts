/** `ipvsadm -S -n` → virtual services with their real servers. Pure. */
import type { Forwarding, Protocol } from '../../config/types.js';
import type { RealServer, VirtualService } from '../types.js';
import { textLines } from '../batch.js';
import { parseHostPort } from './address.js';

const PROTOCOLS: ReadonlyMap<string, Protocol> = new Map([['-t', 'tcp'], ['-u', 'udp']]);
const FORWARDINGS: ReadonlyMap<string, Forwarding> = new Map([['-m', 'nat'], ['-g', 'dr'], ['-i', 'tun']]);
/** Service kinds lvslab never makes (fwmark, sctp): skipped with their real servers. */
const FOREIGN_KINDS = new Set(['-f', '--sctp-service']);
/** Options ipvsadm -S can print, with how many values follow. Those the model lacks are read and ignored. */
const arities = (spec: Record<string, number>): ReadonlyMap<string, number> => new Map(Object.entries(spec));
const SERVICE_OPTIONS = arities({ '-s': 1, '-p': 1, '-M': 1, pe: 1, ops: 0, '-b': 1, '-6': 0 });
const REAL_OPTIONS = arities({
  '-r': 1, '-m': 0, '-g': 0, '-i': 0, '-w': 1, '-x': 1, '-y': 1,
  '--tun-type': 1, '--tun-port': 1, '--tun-nocsum': 0, '--tun-csum': 0, '--tun-remcsum': 0,
});

interface Draft { readonly service: Omit<VirtualService, 'realServers'>; readonly reals: RealServer[] }

const fail = (line: string, why: string): never => {
  throw new Error(`ipvsadm -S: ${why} in line: ${line}`);
};

/** Reads "FLAG [VALUE]" pairs after the command and service; unknown flags throw. */
function readOptions(tokens: readonly string[], arity: ReadonlyMap<string, number>, line: string): Map<string, string> {
  const options = new Map<string, string>();
  for (let i = 0; i < tokens.length; i++) {
    const flag = tokens[i] ?? '';
    const n = arity.get(flag);
    if (n === undefined) fail(line, `unknown flag ${flag}`);
    const value = n === 1 ? tokens[++i] : '';
    if (value === undefined) fail(line, `missing value for ${flag}`);
    options.set(flag, value ?? '');
  }
  return options;
}

function int(value: string | undefined, line: string, what: string): number {
  if (value === undefined || !/^\d+$/.test(value)) return fail(line, `bad ${what} ${value ?? '(none)'}`);
  return Number(value);
}

/** The "-t ADDR:PORT" part: a key and fields, or undefined for a foreign kind of service. */
function readService(tokens: readonly string[], line: string) {
  const [, kind, where] = tokens;
  if (kind !== undefined && FOREIGN_KINDS.has(kind)) return undefined;
  const protocol = PROTOCOLS.get(kind ?? '');
  const at = parseHostPort(where ?? '');
  if (protocol === undefined || at === undefined) return fail(line, 'bad service');
  return { key: `${kind} ${where}`, protocol, ...at };
}

function readReal(options: Map<string, string>, line: string): RealServer {
  const at = parseHostPort(options.get('-r') ?? '') ?? fail(line, 'bad real server');
  const methods = [...options.keys()].flatMap((f) => FORWARDINGS.get(f) ?? []);
  const [forwarding] = methods;
  if (forwarding === undefined || methods.length > 1) return fail(line, 'no single forwarding method');
  return { address: at.address, port: at.port, forwarding, weight: int(options.get('-w'), line, 'weight') };
}

function addService(drafts: Map<string, Draft>, tokens: string[], line: string): void {
  const svc = readService(tokens, line);
  if (svc === undefined) return;
  const options = readOptions(tokens.slice(3), SERVICE_OPTIONS, line);
  const persistence = options.has('-p') ? int(options.get('-p'), line, 'persistence') : undefined;
  const scheduler = options.get('-s') ?? fail(line, 'no scheduler');
  const { key, ...where } = svc;
  const service = { ...where, scheduler, ...(persistence === undefined ? {} : { persistence }) };
  drafts.set(key, { service, reals: [] });
}

function addReal(drafts: Map<string, Draft>, tokens: string[], line: string): void {
  const svc = readService(tokens, line);
  if (svc === undefined) return;
  const draft = drafts.get(svc.key) ?? fail(line, 'real server before its service');
  draft.reals.push(readReal(readOptions(tokens.slice(3), REAL_OPTIONS, line), line));
}

export function parseIpvsSave(text: string): VirtualService[] {
  const drafts = new Map<string, Draft>();
  for (const line of textLines(text)) {
    const tokens = line.trim().split(/\s+/);
    if (tokens[0] === '-A') addService(drafts, tokens, line);
    else if (tokens[0] === '-a') addReal(drafts, tokens, line);
    else fail(line, `unknown command ${tokens[0] ?? ''}`);
  }
  return [...drafts.values()].map((d) => ({ ...d.service, realServers: d.reals }));
}
