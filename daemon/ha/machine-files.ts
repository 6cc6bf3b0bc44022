/**
 * An HA director that is a machine of its own (a Vagrant VM, a host set up by scripts/provision.sh):
 * keepalived and conntrackd there run under their Debian packages' own units (keepalived.service,
 * conntrackd.service), so their configurations go where those units read them. `machineHaFiles`
 * renders the three files lvslab owns there (pure).
 */
import type { LabConfig } from '../config/types.js';
import { conntrackdConf, conntrackdNotifyScript, type ConntrackdFiles } from './conntrackd-conf.js';
import { isHaDirector, keepalivedConf } from './keepalived-conf.js';

export const MACHINE_PATHS = {
  keepalivedConf: '/etc/keepalived/keepalived.conf',
  notify: '/etc/lvslab/conntrackd-notify.sh',
  conntrackd: {
    conf: '/etc/conntrackd/conntrackd.conf',
    lock: '/var/lock/conntrackd.lock',
    socket: '/var/run/conntrackd.ctl',
    notifyLog: '/var/log/lvslab-conntrackd-notify.log',
  } satisfies ConntrackdFiles,
} as const;

export interface MachineHaFile {
  /** Where it goes on the machine. */
  readonly path: string;
  readonly mode: 0o644 | 0o755;
  readonly text: string;
}

/**
 * The files of director `node` of an HA lab whose lab link is `link`; none for a node that is not one of
 * an HA lab's two directors (its keepalived and conntrackd, if lvslab had set them up, are to be stopped).
 */
export function machineHaFiles(lab: LabConfig, node: string, link: string, tools: { readonly curl: string; readonly conntrackd: string }): MachineHaFile[] {
  if (!isHaDirector(lab, node)) return [];
  const paths = MACHINE_PATHS;
  return [
    { path: paths.keepalivedConf, mode: 0o644, text: keepalivedConf(lab, node, { interface: link, curl: tools.curl, notify: paths.notify }) },
    { path: paths.conntrackd.conf, mode: 0o644, text: conntrackdConf(lab, node, { interface: link, files: paths.conntrackd, underSystemd: true }) },
    { path: paths.notify, mode: 0o755, text: conntrackdNotifyScript(lab, node, tools.conntrackd, paths.conntrackd) },
  ];
}
