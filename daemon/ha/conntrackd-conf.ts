/**
 * conntrackd for one director of an HA lab (pure): conntrackd.conf, and the script keepalived runs on
 * each VRRP state change, after conntrackd's own primary-backup.sh (Debian: /usr/share/doc/conntrackd/
 * examples/sync/). Each director's conntrackd sends the conntrack entries of the lab's flows to the
 * other (FTFW over UDP on the lab link, unicast like keepalived's adverts); the backup keeps them in
 * its external cache and, on becoming master, commits them into its kernel: an established flow's
 * entry, its SNAT to the floating address included, is then already there when its next packet comes.
 */
import type { LabConfig } from '../config/types.js';
import { directorPair, isHaDirector, NOTIFY_STATES } from './keepalived-conf.js';

/** conntrackd's UDP port (its documentation's example). */
export const CONNTRACKD_PORT = 3780;

/** conntrackd's files (it logs to its output: a file in the one-box lab, the journal under systemd). */
export interface ConntrackdFiles {
  readonly conf: string;
  readonly lock: string;
  /** The UNIX socket its client commands (-c, -s, -e …) talk to. */
  readonly socket: string;
  /** What the notify script ran, a line per conntrackd command. */
  readonly notifyLog: string;
}

export interface ConntrackdPlace {
  /** The director's link on the lab network. */
  readonly interface: string;
  readonly files: ConntrackdFiles;
  /** Run by Debian's conntrackd.service (Type=notify: it must tell systemd it is ready), not as a process of the one-box lab. */
  readonly underSystemd: boolean;
}

/** Director `nodeName` and the other one: an HA lab's, else an error naming the node. */
function selfAndPeer(lab: LabConfig, nodeName: string) {
  if (!isHaDirector(lab, nodeName)) throw new Error(`node '${nodeName}' is not one of HA lab '${lab.lab}''s two directors`);
  return directorPair(lab, nodeName);
}

export function conntrackdConf(lab: LabConfig, nodeName: string, place: ConntrackdPlace): string {
  const { self, peer } = selfAndPeer(lab, nodeName);
  const { files } = place;
  return [
    `# lvslab: conntrackd for director ${self.name} of lab ${lab.lab}. Written by lvslab from the lab file;`,
    '# edits here are overwritten. keepalived runs the notify script beside this file on each VRRP state change.',
    'Sync {',
    '  Mode FTFW {',
    '  }',
    '  UDP {',
    `    IPv4_address ${self.ip}`,
    `    IPv4_Destination_Address ${peer.ip}`,
    `    Port ${CONNTRACKD_PORT}`,
    `    Interface ${place.interface}`,
    '    SndSocketBuffer 1249280',
    '    RcvSocketBuffer 1249280',
    '    Checksum on',
    '  }',
    '}',
    '',
    'General {',
    `  Systemd ${place.underSystemd ? 'on' : 'off'}`,
    '  HashSize 32768',
    '  HashLimit 131072',
    '  Syslog off',
    '  LogFile off',
    `  LockFile ${files.lock}`,
    '  UNIX {',
    `    Path ${files.socket}`,
    '  }',
    '  NetlinkBufferSize 2097152',
    '  NetlinkBufferSizeMaxGrowth 8388608',
    '  Filter From Userspace {',
    '    Protocol Accept {',
    '      TCP',
    '      UDP',
    '    }',
    // the directors' own flows (health checks, API calls, this sync itself) stay theirs; the lab's
    // flows are to a VIP and answered to the floating address, which move
    '    Address Ignore {',
    '      IPv4_address 127.0.0.1',
    `      IPv4_address ${self.ip}`,
    `      IPv4_address ${peer.ip}`,
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * The notify script (sh): on becoming master, commit the external cache into the kernel, flush both
 * caches, take the kernel's table as the internal cache and send it all to the other director; on
 * backup, shorten the kernel's timers for what this director no longer forwards (conntrackd -t) and
 * ask the master for its entries; on fault, shorten the timers. Each command and its exit status is
 * a line in the notify log; the script exits non-zero when one failed.
 */
export function conntrackdNotifyScript(lab: LabConfig, nodeName: string, conntrackd: string, files: ConntrackdFiles): string {
  const { self } = selfAndPeer(lab, nodeName);
  return [
    '#!/bin/sh',
    `# lvslab: conntrackd's part of a VRRP state change on director ${self.name} of lab ${lab.lab}, run by keepalived`,
    "# (notify_master/backup/fault). After conntrackd's own primary-backup.sh. Written by lvslab; edits are overwritten.",
    `log=${shellWord(files.notifyLog)}`,
    'failed=0',
    'run() {',
    `  ${shellWord(conntrackd)} -C ${shellWord(files.conf)} "$@" >> "$log" 2>&1`,
    '  rc=$?',
    '  echo "$(date +%T.%3N) $state: conntrackd $* exited $rc" >> "$log"',
    '  [ "$rc" = 0 ] || failed=1',
    '}',
    'state=$1',
    'case "$state" in',
    `  ${NOTIFY_STATES.master}) run -c; run -f; run -R; run -B ;;`,
    `  ${NOTIFY_STATES.backup}) run -t; run -n ;;`,
    `  ${NOTIFY_STATES.fault}) run -t ;;`,
    `  *) echo "usage: $0 ${Object.values(NOTIFY_STATES).join('|')}" >&2; exit 2 ;;`,
    'esac',
    'exit $failed',
    '',
  ].join('\n');
}

/** A path as one sh word: lvslab's own paths are plain; anything else is single-quoted. */
function shellWord(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;
}
