/**
 * Where a daemon's read-only status API listens: `HOST:PORT` (an IPv4 address, `localhost` or a
 * bracketed IPv6 address) or `off`. Used by the lab file (`nodes.NAME.api`), `lvslabd --listen` and
 * LVSLAB_LISTEN. Pure.
 */
import { ipv4Problem } from './ipv4.js';

export type Listen = { readonly host: string; readonly port: number } | 'off';

export const DEFAULT_LISTEN = '127.0.0.1:9410';

const FORM = /^(.*):(\d{1,5})$/;

/** Why `text` is not a listen address, or undefined when it is one. */
export function listenProblem(text: string): string | undefined {
  if (text === 'off') return undefined;
  const m = FORM.exec(text);
  if (!m) return "must be HOST:PORT (like 0.0.0.0:9410) or 'off'";
  const [, host, portText] = m as unknown as [string, string, string];
  const port = Number(portText);
  if (port < 1 || port > 65535) return `port ${portText} is out of range 1..65535`;
  if (host === 'localhost' || /^\[[0-9a-fA-F:]{2,39}\]$/.test(host)) return undefined;
  const hostProblem = ipv4Problem(host);
  return hostProblem === undefined ? undefined : `host ${JSON.stringify(host.slice(0, 40))} ${hostProblem}`;
}

/** `text` as a listen address, or undefined when it is not one. */
export function parseListen(text: string): Listen | undefined {
  if (listenProblem(text) !== undefined) return undefined;
  if (text === 'off') return 'off';
  const [, host, port] = FORM.exec(text) as unknown as [string, string, string];
  return { host: host.replace(/^\[|\]$/g, ''), port: Number(port) };
}

const isLoopback = (host: string): boolean => host === 'localhost' || host.startsWith('127.') || host === '::1';

/** Does this address accept connections from other machines (not only from this one)? */
export const reachableFromOthers = (listen: Listen): boolean => listen !== 'off' && !isLoopback(listen.host);

const WILDCARDS = new Set(['0.0.0.0', '::']);

/**
 * The host a client uses to reach an API listening at `listen` on the node whose address is `nodeIp`:
 * on that node itself a wildcard listen is reached on loopback, from another machine at the node's
 * address; a loopback-only listen is not reachable from another machine at all (undefined).
 */
export function reachAt(listen: { host: string }, nodeIp: string, from: 'the node' | 'another machine'): string | undefined {
  if (from === 'another machine' && isLoopback(listen.host)) return undefined;
  if (!WILDCARDS.has(listen.host)) return listen.host;
  return from === 'the node' ? '127.0.0.1' : nodeIp;
}
