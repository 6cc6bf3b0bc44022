/**
 * The probe: one curl to http://VIP:PORT/, its body (the backend answers its node name and a newline)
 * followed by a last line "LOCAL_PORT HTTP_CODE PEER" from `-w`, PEER being the backend's X-Lvslab-Peer
 * header: the address it saw the connection come from (empty from a backend that does not send it). Pure.
 */
import type { Probe } from './types.js';

export type ProbeFields = Omit<Probe, 'seq'>;

/** Every exit code curl can end with: verify reads them instead of letting the Runner throw. */
export const CURL_EXIT_CODES: readonly number[] = Array.from({ length: 255 }, (_, i) => i + 1);

const CURL_EXITS: Readonly<Record<number, string>> = {
  6: 'could not resolve host',
  7: 'connection refused or unreachable',
  28: 'timed out',
  52: 'empty reply from server',
  56: 'connection reset',
};

/** The header lvslab's backend answers with the address it saw the connection come from (backend/backends.ts). */
export const PEER_HEADER = 'x-lvslab-peer';

/** The probe's argv; `localPort` pins the source port (trace, to find its conntrack entry). */
export function curlArgv(host: string, port: number, timeoutS: number, localPort?: number): string[] {
  return [
    'curl', '-sS', '--max-time', String(timeoutS), ...(localPort === undefined ? [] : ['--local-port', String(localPort)]), '-o', '-', '-w', `\n%{local_port} %{http_code} %header{${PEER_HEADER}}`,
    '-H', 'Connection: close', `http://${host}:${port}/`,
  ];
}

/** "curl exit 28 (timed out): curl: (28) Connection timed out after 3001 milliseconds" */
export function curlFailure(exitCode: number, stderr: string): string {
  const what = CURL_EXITS[exitCode];
  const said = stderr.trim().split('\n')[0] ?? '';
  return `curl exit ${exitCode}${what ? ` (${what})` : ''}${said ? `: ${said}` : ''}`;
}

export function parseCurl(stdout: string, exitCode: number, stderr = ''): ProbeFields {
  const cut = stdout.lastIndexOf('\n');
  const tail = /^(\d+) (\d{3})(?: (\S*))?\s*$/.exec(stdout.slice(cut + 1));
  const localPort = Number(tail?.[1] ?? 0);
  const httpCode = Number(tail?.[2] ?? 0);
  const peer = tail?.[3] ?? '';
  const known = {
    curlExit: exitCode,
    ...(localPort > 0 ? { localPort } : {}),
    ...(httpCode > 0 ? { httpCode } : {}),
    ...(peer !== '' ? { peer } : {}),
  };
  if (exitCode !== 0) return { ok: false, ...known, error: curlFailure(exitCode, stderr) };
  if (!tail) return { ok: false, ...known, error: `unreadable curl output: ${JSON.stringify(stdout.slice(-80))}` };
  const realServer = (stdout.slice(0, Math.max(cut, 0)).split('\n')[0] ?? '').trim();
  const answered = realServer !== '' ? { realServer } : {};
  if (httpCode < 200 || httpCode > 299) return { ok: false, ...known, ...answered, error: `HTTP ${httpCode}` };
  if (realServer === '') return { ok: false, ...known, error: 'empty body: no node name in the answer' };
  return { ok: true, ...known, ...answered };
}
