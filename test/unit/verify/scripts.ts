/**
 * What the nodes of the reference lab answer to verify's commands: the working lab (article step 5) and
 * the lab with SNAT rules but net.ipv4.vs.conntrack = 0 (article step 4).
 */
import { curlArgv } from '../../../daemon/verify/curl.js';
import { curlOut, fixture, snatSetSave, type Script } from './helpers.js';

export const probeKey = curlArgv('10.10.0.1', 8410, 3).join(' ');
export const conntrackKey = 'conntrack -L -p tcp --dport 8410 -d 10.10.0.1';
const shown = (n: number) => ({ stderr: `conntrack v1.4.7 (conntrack-tools): ${n} flow entries have been shown.\n` });

export const statsKey = 'ipvsadm -L -n --stats --exact';
/**
 * The captured director's counters (10.10.0.1:8410: 4 connections, 22 packets in, 19 out) read after
 * the four probes, and the same director before them: every counter of 10.10.0.1:8410 at 0.
 */
const statsAfter = fixture('ipvsadm-Ln-stats-exact.txt');
const statsBefore = statsAfter.replace(/^TCP  10\.10\.0\.1:8410.*\n(?:  -> .*\n)*/m, (block) => block.replace(/(?: +\d+){5}$/gm, '  0  0  0  0  0'));
export const statsReplies = [{ stdout: statsBefore }, { stdout: statsAfter }];

/** Four requests answered rs2, rs1, rs2, rs1 from the client ports of the captured flows. */
export const workingLab: Script = {
  client: {
    [probeKey]: [curlOut('rs2', 55122), curlOut('rs1', 55134), curlOut('rs2', 55140), curlOut('rs1', 55154)].map((stdout) => ({ stdout })),
    [conntrackKey]: { stdout: fixture('conntrack-L-client.txt'), ...shown(6) },
  },
  ds: { [conntrackKey]: { stdout: fixture('conntrack-L-ds.txt'), ...shown(5) }, [statsKey]: statsReplies },
};

const routeGet = (dst: string, via: string | undefined, src: string): string =>
  JSON.stringify([{ dst, ...(via ? { gateway: via } : {}), dev: 'eth0', prefsrc: src, flags: [], uid: 0, cache: [] }]);

/** Every probe times out; the director has the SNAT rules but net.ipv4.vs.conntrack = 0. */
export const vsConntrackOffLab: Script = {
  client: {
    [probeKey]: { stdout: '\n0 000', stderr: 'curl: (28) Connection timed out after 3001 milliseconds\n', exitCode: 28 },
    [conntrackKey]: { stdout: '', ...shown(0) },
    'ip -j route get 10.10.0.1': { stdout: routeGet('10.10.0.1', '192.168.113.101', '192.168.113.102') },
  },
  ds: {
    [conntrackKey]: { stdout: '', ...shown(0) },
    [statsKey]: { stdout: statsAfter },
    'sysctl net.ipv4.ip_forward net.ipv4.vs.conntrack': { stdout: 'net.ipv4.ip_forward = 1\nnet.ipv4.vs.conntrack = 0\n' },
    'iptables-save -t nat': { stdout: fixture('iptables-save-nat-ds.txt') },
    'ipset save LVSLAB-SNAT': { stdout: snatSetSave() },
    'ipvsadm -S -n': { stdout: fixture('ipvsadm-S-n.txt') },
    [curlArgv('192.168.113.99', 8080, 2).join(' ')]: { stdout: curlOut('rs1', 40100) },
    [curlArgv('192.168.113.98', 8080, 2).join(' ')]: { stdout: curlOut('rs2', 40102) },
  },
  rs1: { 'ip -j route get 192.168.113.102': { stdout: fixture('ip-j-route-get-rs1.json') } },
  rs2: { 'ip -j route get 192.168.113.102': { stdout: routeGet('192.168.113.102', undefined, '192.168.113.98') } },
};
