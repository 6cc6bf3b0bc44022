/**
 * What a running conntrackd says (pure parsers): its cache sizes (`conntrackd -s`) and the entries
 * of its external cache, the ones the other director sent (`conntrackd -e ct`).
 */

export interface ConntrackdCaches {
  /** Entries of this director's own flows (from its kernel). */
  readonly internal: number;
  /** Entries the other director sent: what a commit would put in this kernel on becoming master. */
  readonly external: number;
}

const CACHE_HEADER = /^cache (internal|external):$/;
const ACTIVE = /^current active connections:\s+(\d+)$/;

/** `conntrackd -s`: "cache internal:" then "current active connections: N", the same for external. */
export function parseConntrackdStats(text: string): ConntrackdCaches {
  const found: Partial<Record<'internal' | 'external', number>> = {};
  let section: 'internal' | 'external' | undefined;
  for (const line of text.split('\n').map((l) => l.trim())) {
    const header = CACHE_HEADER.exec(line);
    if (header !== null) {
      section = header[1] as 'internal' | 'external';
      continue;
    }
    const active = ACTIVE.exec(line);
    if (active !== null && section !== undefined && found[section] === undefined) found[section] = Number(active[1]);
  }
  if (found.internal === undefined || found.external === undefined) {
    throw new Error(`conntrackd -s: no "current active connections" for the ${found.internal === undefined ? 'internal' : 'external'} cache in ${JSON.stringify(text.slice(0, 120))}`);
  }
  return { internal: found.internal, external: found.external };
}

/**
 * Entries in state ESTABLISHED to `vip:port` in `conntrackd -e ct` (or -i): one entry a line,
 * "tcp 6 ESTABLISHED src=… dst=VIP sport=… dport=PORT [ASSURED] mark=0 [active since 3s]".
 */
export function conntrackdEstablishedTo(text: string, vip: string, port: number): number {
  return text.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) =>
    f[0] === 'tcp' && f[2] === 'ESTABLISHED' && f.find((w) => w.startsWith('dst=')) === `dst=${vip}` && f.find((w) => w.startsWith('dport=')) === `dport=${port}`).length;
}
