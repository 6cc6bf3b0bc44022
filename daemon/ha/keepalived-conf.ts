/**
 * keepalived.conf for one director of an HA lab (pure): one vrrp_instance that holds the floating
 * address and the VIPs on the lab link of the master, unicast to the other director, and a
 * track_script on the local lvslabd's /healthz, so that a director whose daemon cannot program its
 * kernel gives up master. No virtual_server blocks: lvslab programs IPVS itself, on both directors.
 */
import type { LabConfig, NodeConfig } from '../config/types.js';
import { reachAt } from '../config/listen.js';
import { formatHostPort } from '../kernel/ipvs/address.js';

/** The first director listed starts as master: the higher priority wins the first election. */
export const HA_PRIORITIES = [150, 100] as const;
/**
 * The track script: every TRACK_INTERVAL_S a GET of /healthz that may take TRACK_TIMEOUT_S, and
 * TRACK_FALL failures in a row before the director gives up master. Not tighter: under the micro-VM's
 * emulation a healthy director's check took over 1 s while the lab was under load (a curl's start and
 * a busy daemon), and a timeout of 1 s with 2 failures made the master give up the VIP for nothing.
 * Not more often: each check is a curl, 190–210 ms of an emulated CPU (its 33 libraries loaded), and at
 * one a second the two directors' checks took 19% of the micro-VM's two CPUs with the lab idle and 30%
 * of a CPU each under the HA tests' load (keepalived's own count of its children's time), enough that in
 * CI both directors' checks timed out 3 times in a row and the master gave up the VIP for nothing. A
 * daemon that answers 503 loses master after TRACK_FALL ticks (6 s); a frozen one after 6.6 s in the
 * check run of 76c3471, and at most TRACK_FALL × 2 ticks (12 s) when each timed-out check is still
 * running at the next tick, which keepalived then skips.
 */
export const TRACK_INTERVAL_S = 2;
export const TRACK_TIMEOUT_S = 2;
export const TRACK_FALL = 3;
export const TRACK_RISE = 2;
export const VRRP_INSTANCE = 'lvslab';
/** The VRRP states whose notify_* runs the notify script, and the argument each passes it (conntrackd's primary-backup.sh's words). */
export const NOTIFY_STATES = { master: 'primary', backup: 'backup', fault: 'fault' } as const;

export interface KeepalivedPlace {
  /** The director's link on the lab network (eth0 in the one-box lab, the VM's second NIC in Vagrant). */
  readonly interface: string;
  /** Absolute path of curl, which the track script runs (keepalived wants absolute paths). */
  readonly curl: string;
  /** Absolute path of the script keepalived runs on each state change (conntrackd-conf.ts), with primary, backup or fault. */
  readonly notify: string;
}

export const directorsOf = (lab: LabConfig): readonly NodeConfig[] => lab.nodes.filter((n) => n.role === 'director');

/** The healthz URL the track script asks, on the director itself. */
export function healthzUrl(node: NodeConfig): string {
  if (node.api === 'off') throw new Error(`director ${node.name} has api off: its keepalived has no /healthz to track`);
  return `http://${formatHostPort(reachAt(node.api, node.ip, 'the node') ?? '127.0.0.1', node.api.port)}/healthz`;
}

/** Director `nodeName` of a two-director lab, its place in the file (0: it starts as master) and the other director; throws naming the node otherwise. */
export function directorPair(lab: LabConfig, nodeName: string): { readonly self: NodeConfig; readonly peer: NodeConfig; readonly index: number } {
  const directors = directorsOf(lab);
  const index = directors.findIndex((d) => d.name === nodeName);
  const self = directors[index];
  const peer = directors[1 - index];
  if (self === undefined || peer === undefined) throw new Error(`node '${nodeName}' is not one of lab '${lab.lab}''s two directors`);
  return { self, peer, index };
}

/** Whether `nodeName` is one of an HA lab's two directors (the nodes that run keepalived and conntrackd). */
export const isHaDirector = (lab: LabConfig, nodeName: string): boolean => lab.ha !== undefined && directorsOf(lab).some((d) => d.name === nodeName);

export function keepalivedConf(lab: LabConfig, nodeName: string, place: KeepalivedPlace): string {
  const ha = lab.ha;
  if (ha === undefined) throw new Error(`lab '${lab.lab}' has no ha key: it has one director and no keepalived`);
  const { self, peer, index } = directorPair(lab, nodeName);
  const dev = place.interface;
  const vips = [...new Set(lab.virtualServers.map((vs) => vs.vip))];
  const advert = (ha.advertIntervalMs / 1000).toString();
  return [
    `# lvslab: keepalived's VRRP for director ${self.name} of lab ${lab.lab}. Written by lvslab from the lab file;`,
    '# edits here are overwritten. lvslab programs IPVS on both directors; keepalived only moves the addresses.',
    'global_defs {',
    `  router_id ${lab.lab}-${self.name}`,
    '  enable_script_security',
    '  script_user root',
    '  vrrp_version 3',
    // IPVS's connection sync daemon, its role following this instance's: master on MASTER, backup on
    // BACKUP, both with the lab's router id as sync id (ipvsadm --start-daemon … --syncid N)
    `  lvs_sync_daemon ${dev} ${VRRP_INSTANCE} id ${ha.virtualRouterId}`,
    '}',
    '',
    `# the local lvslabd: ${TRACK_FALL} failed checks in a row and this director gives up master (FAULT)`,
    'vrrp_script lvslabd_healthy {',
    `  script "${place.curl} -fsS -m ${TRACK_TIMEOUT_S} -o /dev/null ${healthzUrl(self)}"`,
    `  interval ${TRACK_INTERVAL_S}`,
    `  timeout ${TRACK_TIMEOUT_S}`,
    `  fall ${TRACK_FALL}`,
    `  rise ${TRACK_RISE}`,
    '}',
    '',
    `vrrp_instance ${VRRP_INSTANCE} {`,
    // both start as BACKUP: nopreempt needs it, and the priorities elect the first master
    '  state BACKUP',
    `  interface ${dev}`,
    `  virtual_router_id ${ha.virtualRouterId}`,
    `  priority ${HA_PRIORITIES[index]}`,
    `  advert_int ${advert}`,
    ...(ha.preempt ? [] : ['  nopreempt']),
    `  unicast_src_ip ${self.ip}`,
    '  unicast_peer {',
    `    ${peer.ip}`,
    '  }',
    '  track_script {',
    '    lvslabd_healthy',
    '  }',
    // conntrackd follows the VRRP state: commits what it holds from the other director on master
    ...Object.entries(NOTIFY_STATES).map(([state, arg]) => `  notify_${state} "${place.notify} ${arg}"`),
    '  virtual_ipaddress {',
    `    ${ha.floatingAddress} dev ${dev}`,
    ...vips.map((vip) => `    ${vip}/32 dev ${dev}`),
    '  }',
    '}',
    '',
  ].join('\n');
}
