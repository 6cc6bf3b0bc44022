/**
 * The director's service DNS while the lab has services: started, kept or stopped to match the lab
 * after each (re)load. The zone is built from the lab at each (re)load, so a reload that changes
 * services changes the answers at once. A failure to bind is logged and retried at the next reload;
 * the daemon keeps running (the kernel state does not depend on DNS).
 */
import type { Logger } from 'pino';
import type { LabConfig } from '../config/types.js';
import { buildZone, startDnsServer, type RunningDns, type ServiceZone } from '../dns/index.js';
import { findNode } from '../plan/plan.js';

export const DNS_PORT = 53;

export interface ServiceDns {
  /** Start or stop the answerer for this lab. */
  update(lab: LabConfig): Promise<void>;
  /** Where it answers ("192.168.113.101:53"), or undefined when it does not run. */
  readonly address: string | undefined;
  close(): Promise<void>;
}

export function serviceDns(nodeName: string, log: Logger, port = DNS_PORT): ServiceDns {
  let zone: ServiceZone | undefined;
  let running: { dns: RunningDns; host: string } | undefined;
  const stop = async (): Promise<void> => {
    if (running === undefined) return;
    await running.dns.close();
    log.info({ host: running.host, port }, 'service DNS stopped');
    running = undefined;
  };
  return {
    async update(lab) {
      // built once per (re)load: the lab's checks already passed, so buildZone does not throw here
      zone = buildZone(lab.serviceMode.clusterDomain, lab.services);
      const node = findNode(lab, nodeName);
      const wanted = node.role === 'director' && lab.services.length > 0 ? node.ip : undefined;
      if (running !== undefined && running.host === wanted) return;
      await stop();
      if (wanted === undefined) return;
      try {
        const current = (): ServiceZone => zone!;
        running = { dns: await startDnsServer({ host: wanted, port, zone: current, log }), host: wanted };
        log.info({ host: wanted, port, domain: lab.serviceMode.clusterDomain }, 'service DNS answering');
      } catch (err) {
        log.error({ err, host: wanted, port }, 'service DNS could not start; retried at the next reload');
      }
    },
    get address() {
      return running === undefined ? undefined : `${running.host}:${port}`;
    },
    close: stop,
  };
}
