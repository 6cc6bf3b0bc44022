import test from 'ava';
import { UDP_NOTE, runVerify } from '../../../daemon/verify/verify.js';
import { renderReport } from '../../../daemon/verify/render.js';
import { fixture, lab, scriptedAccess, web } from './helpers.js';
import { conntrackKey, probeKey, statsKey, vsConntrackOffLab, workingLab } from './scripts.js';
import { parseConntrack } from '../../../daemon/kernel/conntrack/index.js';
import { labFrom } from '../plan/helpers.js';
import { curlArgv } from '../../../daemon/verify/curl.js';

test('runVerify: the working lab passes, flows explained from the captured conntrack tables', async (t) => {
  const fake = scriptedAccess(t, workingLab);
  const report = await runVerify(lab, fake.access, { requests: 4, statsLagMs: 0 });
  t.like(report, { lab: 'seed', client: 'client', director: 'ds', ok: true });
  const [vs] = report.virtualServers;
  t.like(vs, {
    name: 'web', requests: 4, succeeded: 4, distribution: { rs1: 2, rs2: 2 }, distributionOk: true,
    clientFlowsMatched: 4, directorFlowsMatched: 4, causes: [], notes: [], ok: true,
  });
  t.like(vs?.flows[0], { realServer: 'rs2', dnat: '192.168.113.98:8080', snat: '192.168.113.101:55122' });
  t.deepEqual(vs?.traffic, {
    inPkts: 22, outPkts: 19, realServers: { rs1: { sent: 11 }, rs2: { sent: 11 } },
    text: 'the director passed 22 packets client → real servers and 19 back: every reply crosses it to be un-DNATed',
  });
  t.is(vs?.requirements, undefined);
  t.is(fake.count('client', probeKey), 4);
  t.deepEqual(fake.unused(), []);
});

test('runVerify: timeouts with vs.conntrack = 0 fail and name vs-conntrack-off', async (t) => {
  const fake = scriptedAccess(t, vsConntrackOffLab);
  const report = await runVerify(lab, fake.access, { requests: 3, statsLagMs: 0 });
  t.false(report.ok);
  const [vs] = report.virtualServers;
  t.like(vs, { succeeded: 0, ok: false, clientFlowsMatched: 0, directorFlowsMatched: 0 });
  t.deepEqual(vs?.probes.map((p) => p.curlExit), [28, 28, 28]);
  t.deepEqual(vs?.causes.map((c) => c.code), ['vs-conntrack-off']);
  t.is(vs?.causes[0]?.evidence, 'net.ipv4.vs.conntrack = 0 on ds; masquerade rules for 10.10.0.1:8410 present in its nat table');
  t.deepEqual(vs?.notes, []);
  t.deepEqual(fake.unused(), [], 'every fact was read');
});

test('runVerify: a tool that cannot be read is a note, not a guessed cause', async (t) => {
  const script = { ...vsConntrackOffLab, ds: { ...vsConntrackOffLab.ds, 'ipvsadm -S -n': { stderr: "Can't initialize ipvs", exitCode: 2 } } };
  const report = await runVerify(lab, scriptedAccess(t, script).access, { requests: 1, statsLagMs: 0 });
  const [vs] = report.virtualServers;
  t.deepEqual(vs?.causes.map((c) => c.code), ['vs-conntrack-off']);
  t.is(vs?.notes.length, 1);
  t.regex(vs?.notes[0] ?? '', /could not read `ipvsadm -S -n` on ds/);
});

test('runVerify: no SNAT set on the director is a fact (no-snat), not a note', async (t) => {
  const missing = { stderr: 'ipset v7.17: The set with the given name does not exist\n', exitCode: 1 };
  const script = { ...vsConntrackOffLab, ds: { ...vsConntrackOffLab.ds, 'ipset save LVSLAB-SNAT': missing } };
  const report = await runVerify(lab, scriptedAccess(t, script).access, { requests: 1, statsLagMs: 0 });
  const [vs] = report.virtualServers;
  t.deepEqual(vs?.causes.map((c) => c.code), ['no-snat']);
  t.regex(vs?.causes[0]?.evidence ?? '', /set LVSLAB-SNAT lacks 10\.10\.0\.1,tcp:8410/);
  t.deepEqual(vs?.notes, []);
});

test('runVerify: two failing virtual servers read each director table and backend once, and are diagnosed apart', async (t) => {
  // web2 at another VIP, neither in the SNAT set nor in the IPVS table of the captured director
  const web2 = { ...web, name: 'web2', vip: '10.10.0.3' };
  const conntrack2 = 'conntrack -L -p tcp --dport 8410 -d 10.10.0.3';
  const script = {
    ...vsConntrackOffLab,
    client: {
      ...vsConntrackOffLab.client,
      [curlArgv('10.10.0.3', 8410, 3).join(' ')]: { stdout: '\n0 000', stderr: 'curl: (28) Connection timed out\n', exitCode: 28 },
      [conntrack2]: { stdout: '' },
      'ip -j route get 10.10.0.3': vsConntrackOffLab.client!['ip -j route get 10.10.0.1']!,
    },
    ds: { ...vsConntrackOffLab.ds, [conntrack2]: { stdout: '' } },
  };
  const fake = scriptedAccess(t, script);
  const report = await runVerify({ ...lab, virtualServers: [web, web2] }, fake.access, { requests: 1, statsLagMs: 0 });
  t.deepEqual(report.virtualServers.map((v) => [v.name, v.causes.map((c) => c.code)]), [
    ['web', ['vs-conntrack-off']],
    ['web2', ['no-ipvs-service', 'no-snat']],
  ]);
  for (const [node, key] of [['ds', 'sysctl net.ipv4.ip_forward net.ipv4.vs.conntrack'], ['ds', 'iptables-save -t nat'], ['ds', 'ipset save LVSLAB-SNAT'],
    ['ds', 'ipvsadm -S -n'], ['ds', curlArgv('192.168.113.99', 8080, 2).join(' ')], ['rs1', 'ip -j route get 192.168.113.102']] as const) {
    t.is(fake.count(node, key), 1, `${node}: ${key}`);
  }
  t.is(fake.count('client', 'ip -j route get 10.10.0.3'), 1);
  t.is(fake.count('ds', statsKey), 2, 'IPVS counters read once before all the probes and once after, not per virtual server');
  t.deepEqual(fake.unused(), []);
});

test('runVerify: udp services are not probed and say so', async (t) => {
  const dns = { ...web, name: 'dns', vip: '10.10.0.2', port: 53, protocol: 'udp' as const, scheduler: 'sh' as const };
  const report = await runVerify({ ...lab, virtualServers: [dns] }, scriptedAccess(t, {}).access, { requests: 4, statsLagMs: 0 });
  t.true(report.ok);
  t.like(report.virtualServers[0], { name: 'dns', requests: 0, ok: true, causes: [], notes: [UDP_NOTE] });
});

test('runVerify: conntrack that cannot be read leaves a note and the probes decide', async (t) => {
  const script = { ...workingLab, ds: { ...workingLab.ds, [conntrackKey]: { stderr: 'conntrack: not found', exitCode: 127 } } };
  const report = await runVerify(lab, scriptedAccess(t, script).access, { requests: 4, statsLagMs: 0 });
  t.true(report.ok);
  t.like(report.virtualServers[0], { directorFlowsMatched: 0, clientFlowsMatched: 4 });
  t.regex(report.virtualServers[0]?.notes[0] ?? '', /^conntrack on ds not read/);
});

test('runVerify on the TUN lab (captured tables): no reply crossed the director, each ipip device decapsulated what IPVS sent it; the requirements', async (t) => {
  const tun = labFrom('labs/tun.yaml');
  const client = parseConntrack(fixture('conntrack-L-tun-client.txt')).map((f) => f.original.sport!);
  const rx = fixture('ip-s-j-link-tun-rs1.json');
  const rxBefore = rx.replace('"packets":11', '"packets":0');
  const linkKey = 'ip -s -j link show dev lvslab0';
  const stats = fixture('ipvsadm-Ln-stats-tun-ds.txt');
  const script = {
    client: {
      [probeKey]: client.map((port, i) => ({ stdout: `${i % 2 ? 'rs1' : 'rs2'}\n\n${port} 200 192.168.113.102` })),
      [conntrackKey]: { stdout: fixture('conntrack-L-tun-client.txt') },
    },
    ds: {
      [conntrackKey]: { stdout: fixture('conntrack-L-tun-ds.txt') },
      [statsKey]: [{ stdout: stats.replace(/ {2,}\d+ +\d+ +0 +\d+ +0$/gm, '  0  0  0  0  0') }, { stdout: stats }],
    },
    rs1: { [linkKey]: [{ stdout: rxBefore }, { stdout: rx }] },
    rs2: { [linkKey]: [{ stdout: rxBefore.replaceAll('lvslab0', 'lvslab0') }, { stdout: rx }] },
  };
  const fake = scriptedAccess(t, script);
  const report = await runVerify(tun, fake.access, { requests: 4, statsLagMs: 0 });
  t.true(report.ok, JSON.stringify(report.virtualServers[0]?.causes));
  const [vs] = report.virtualServers;
  t.like(vs, { directorFlowsMatched: 4, clientFlowsMatched: 4, distribution: { rs1: 2, rs2: 2 } });
  t.deepEqual(vs?.traffic?.realServers, { rs1: { sent: 11 }, rs2: { sent: 11 } });
  t.is(vs?.traffic?.text, 'the director passed 22 packets client → real servers and 0 back: the real servers answer the client directly');
  t.deepEqual(report.tunnels, { rs1: { sent: 11, decapsulated: 11 }, rs2: { sent: 11, decapsulated: 11 } });
  const text = renderReport(report);
  t.regex(text, /\n  traffic: the director passed 22 packets client → real servers and 0 back: the real servers answer the client directly\n/);
  t.regex(text, /\n  tun needs the ipip module and an ipip device up on every real server — /);
  t.regex(text, /\ntunnel: rs1's ipip device decapsulated 11 packets; IPVS sent it 11\n/);
  t.is(vs?.requirements?.forwarding, 'tun');
  t.regex(vs?.requirements?.needs.join('\n') ?? '', /rp_filter=1 drops it \(doctor: rp-filter-strict\)/);
  t.deepEqual(fake.unused(), []);
});

test('runVerify: refuses a request count below 1', async (t) => {
  await t.throwsAsync(runVerify(lab, scriptedAccess(t, {}).access, { requests: 0, statsLagMs: 0 }), { message: /requests must be/ });
});
