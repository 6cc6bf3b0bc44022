/**
 * reconcile through the real node kernel on a replayed node: what is someone else's at a key the lab
 * wants is reported as data and left alone; cleanup removes what lvslab owns and nothing else.
 */
import test from 'ava';
import { join } from 'node:path';
import { tempDir } from '../temp-dir.js';
import type { LabConfig } from '../../../daemon/config/types.js';
import { fileLedger } from '../../../daemon/kernel/ledger.js';
import { nodeKernel } from '../../../daemon/kernel/node-kernel.js';
import { reconcile } from '../../../daemon/reconcile/reconcile.js';
import { seedLab } from '../health/helpers.js';
import { capturedDirector, fixture, replayingNode, writesOf, type NodeOutputs } from '../kernel/helpers.js';

const seed = seedLab();
const withVip2: LabConfig = { ...seed, virtualServers: [...seed.virtualServers, { ...seed.virtualServers[0]!, name: 'www', vip: '10.10.0.2', port: 80 }] };

function node(outputs: NodeOutputs, iface = 'lvslab0', ledgerKeys?: readonly string[]) {
  const replay = replayingNode(outputs);
  const ledger = fileLedger(join(tempDir('lvslab-ledger-'), 'node.owned.json'));
  const kernel = nodeKernel(replay.runner, { interface: iface, ledger });
  const ready = ledgerKeys === undefined ? Promise.resolve() : ledger.around(ledgerKeys, [], async () => undefined);
  return { ...replay, kernel, ready };
}

test('a static route someone else made to a VIP is not replaced: reported as a conflict (data) naming it, the rest applied', async (t) => {
  const client = node({ ...capturedDirector(), routes: fixture('ip-j-route-foreign-client.json') });
  const result = await reconcile(withVip2, 'client', client.kernel);
  t.false(result.ok);
  t.deepEqual(result.conflicts, [{
    kind: 'route', dst: '10.10.0.2/32', via: '192.168.113.101', protocol: 'static', wanted: { dst: '10.10.0.2/32', via: '192.168.113.101' },
  }]);
  t.is(result.error, 'route 10.10.0.2/32 via 192.168.113.101 proto static is not lvslab\'s (protocol 241): left alone, so 10.10.0.2/32 via 192.168.113.101 is not installed');
  const ipBatches = client.calls.filter((c) => c.argv.join(' ') === 'ip -batch -').map((c) => c.options?.input ?? '');
  t.deepEqual(ipBatches, [], 'no route replaced or deleted (10.10.0.1 is lvslab\'s already, 10.77.0.0/16 is not lvslab\'s)');
  t.true(writesOf(client.calls).some((w) => w.startsWith('iptables-restore')), 'the client\'s chain is still written');
});

for (const [iface, kind] of [['eth0', 'veth'], ['lo', 'loopback'], ['eth1', 'dummy']] as const) {
  test(`interface ${iface} names an existing ${kind} link lvslab did not create: refused by name and kind, nothing written`, async (t) => {
    const ds = node(capturedDirector(), iface);
    const result = await reconcile({ ...seed, interface: iface }, 'ds', ds.kernel);
    t.false(result.ok);
    t.deepEqual(result.conflicts, [{ kind: 'link', name: iface, linkKind: kind }]);
    t.regex(result.error ?? '', new RegExp(`^interface ${iface} exists and is a.* ${kind} link`));
    t.deepEqual(writesOf(ds.calls), []);
    t.deepEqual(result.changes, []);
  });
}

test('the dummy lvslab created (in its ledger) is its own: its addresses are managed', async (t) => {
  const ds = node(capturedDirector(), 'lvslab0', ['link:lvslab0']);
  await ds.ready;
  const result = await reconcile(seed, 'ds', ds.kernel, { dryRun: true });
  t.true(result.ok);
  t.true(result.changes.includes('address 10.10.0.2/32 on lvslab0: delete'), result.changes.join('\n'));
});

test('cleanup removes exactly what lvslab owns (the lab\'s exact keys and its ledger) and nothing else', async (t) => {
  const ds = node(capturedDirector(), 'lvslab0', ['link:lvslab0', 'ipset:LVSLAB-nets']);
  await ds.ready;
  const result = await reconcile(seed, 'ds', ds.kernel, { cleanup: true, dryRun: true });
  t.true(result.ok);
  // the seed lab's objects, the ledger's set and link (with its addresses); not 10.10.0.2:*, 192.168.113.101:9999,
  // LVSLAB-empty, KUBE-*, foreign-set, the foreign MASQUERADE rule or the ssh rule
  t.deepEqual(result.changes, [
    'link lvslab0: delete',
    'address 10.10.0.1/32 on lvslab0: delete',
    'address 10.10.0.2/32 on lvslab0: delete',
    'ipset LVSLAB-blacklist: destroy',
    'ipset LVSLAB-nets: destroy',
    'ipset LVSLAB-SNAT: destroy',
    'chain nat/LVSLAB-MARK-MASQ: delete',
    'chain nat/LVSLAB-POSTROUTING: delete',
    'chain nat/LVSLAB-SERVICES: delete',
    'chain filter/LVSLAB-INPUT: delete',
    'rule nat/PREROUTING: delete -m comment --comment "lvslab:seed" -j LVSLAB-SERVICES',
    'rule nat/OUTPUT: delete -m comment --comment "lvslab:seed" -j LVSLAB-SERVICES',
    'rule nat/POSTROUTING: delete -m comment --comment "lvslab:seed" -j LVSLAB-POSTROUTING',
    'rule filter/INPUT: delete -m comment --comment "lvslab:seed" -j LVSLAB-INPUT',
    'ipvs tcp:10.10.0.1:8410: delete',
  ]);
});
