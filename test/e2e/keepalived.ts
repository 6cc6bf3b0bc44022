/**
 * keepalived as its users start it, for tests that need its IPVS services beside lvslab's: with its
 * own configuration file at /etc/keepalived/keepalived.conf and Debian's unit (`systemctl start
 * keepalived`) when systemd is PID 1 (the micro-VM), else as its own daemon (`keepalived -f`), in the
 * test's network namespace: a drop-in with NetworkNamespacePath= (as the e2e tests run lvslabd's
 * units), or `ip netns exec`. (Debian's keepalived 2.2.7 has no `net_namespace`: "Unknown keyword".)
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { inNs, ok, run, until } from './helpers.js';

const CONF = '/etc/keepalived/keepalived.conf';
const DROP_IN = '/etc/systemd/system/keepalived.service.d';
const PID = '/run/lvslab-e2e-keepalived.pid';
const underSystemd = (): boolean => readFileSync('/proc/1/comm', 'utf8').trim() === 'systemd';

export interface KeepalivedService {
  readonly protocol: 'TCP' | 'UDP';
  readonly vip: string;
  readonly port: number;
  readonly scheduler: string;
  readonly realServers: readonly { readonly ip: string; readonly port: number; readonly weight: number }[];
}

/** A keepalived.conf with these virtual servers (NAT, no checker: keepalived keeps each real server as written). */
export const keepalivedConf = (services: readonly KeepalivedService[]): string => [
  'global_defs {', '  router_id lvslab-e2e', '}',
  ...services.flatMap((s) => [
    `virtual_server ${s.vip} ${s.port} {`, '  delay_loop 60', `  lb_algo ${s.scheduler}`, '  lb_kind NAT', `  protocol ${s.protocol}`,
    ...s.realServers.map((r) => `  real_server ${r.ip} ${r.port} {\n    weight ${r.weight}\n  }`),
    '}',
  ]),
].join('\n') + '\n';

/** Starts keepalived with `services` in namespace `ns`; resolves once `ipvsadm` there shows all of them. */
export async function startKeepalived(ns: string, services: readonly KeepalivedService[]): Promise<void> {
  if (existsSync(CONF)) throw new Error(`${CONF} exists: this test will not replace a keepalived configuration it did not write`);
  await mkdir('/etc/keepalived', { recursive: true });
  await writeFile(CONF, keepalivedConf(services));
  if (underSystemd()) {
    await mkdir(DROP_IN, { recursive: true });
    await writeFile(`${DROP_IN}/netns.conf`, `[Service]\nNetworkNamespacePath=/run/netns/${ns}\n`);
    await ok(run(['systemctl', 'daemon-reload']));
    await ok(run(['systemctl', 'start', 'keepalived']));
  } else await ok(inNs(ns, ['keepalived', '-f', CONF, '-p', PID, '-l']));
  await until('keepalived\'s virtual servers in IPVS', 30_000, async () => {
    const saved = (await inNs(ns, ['ipvsadm', '-S', '-n'])).stdout;
    return services.every((s) => saved.includes(`-A ${s.protocol === 'TCP' ? '-t' : '-u'} ${s.vip}:${s.port} `) &&
      s.realServers.every((r) => saved.includes(`-r ${r.ip}:${r.port} -m -w ${r.weight}`)));
  });
}

/** Stops the keepalived startKeepalived started (it removes its virtual servers as it exits) and removes its file. */
export async function stopKeepalived(): Promise<void> {
  if (underSystemd()) {
    await run(['systemctl', 'stop', 'keepalived']);
    await rm(DROP_IN, { recursive: true, force: true });
    await run(['systemctl', 'daemon-reload']);
  } else if (existsSync(PID)) await run(['kill', readFileSync(PID, 'utf8').trim()]);
  await rm(CONF, { force: true });
}
