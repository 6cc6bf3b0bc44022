/** Malformed and hostile lab files: each one must be refused with a problem at an exact path. */
import test from 'ava';
import { parseLab } from '../../../daemon/config/load.js';
import { SEED_TEXT, fixture, hasProblem, problemsOf, seedWith } from './helpers.js';

const NODE = "must match ^[a-z][a-z0-9-]{0,14}$ (lowercase letters, digits, '-')";
const PORT = 'must be an integer from 1 to 65535';
const RS = 'realServers:\n      - { node: rs1, port: 8080, weight: 1 }\n      - { node: rs2, port: 8080, weight: 1 }';
const rs2 = (replacement: string) => seedWith('{ node: rs2, port: 8080, weight: 1 }', replacement);
const BL = 'name: blacklist';

/** [title, lab text, expected path, expected reason substring] */
const cases: ReadonlyArray<readonly [string, string, string, string]> = [
  // addresses
  ['octet over 255', seedWith('192.168.113.99/24', '192.168.113.300/24'), 'nodes.rs1.address', 'octet 300 is out of range 0..255'],
  ['prefix length 33', seedWith('192.168.113.99/24', '192.168.113.1/33'), 'nodes.rs1.address', 'prefix length 33 is out of range 0..32'],
  ['missing prefix length', seedWith('192.168.113.99/24', '192.168.113.99'), 'nodes.rs1.address', 'missing prefix length'],
  ['leading-zero octet', seedWith('192.168.113.99/24', '192.168.113.099/24'), 'nodes.rs1.address', 'leading zero'],
  ['five octets', seedWith('192.168.113.99/24', '1.192.168.113.99/24'), 'nodes.rs1.address', 'four dot-separated octets'],
  ['VIP with a prefix length', seedWith('vip: 10.10.0.1', 'vip: 10.10.0.1/32'), 'virtualServers[0].vip', 'without a prefix length'],
  ['VIP equal to a node address', seedWith('vip: 10.10.0.1', 'vip: 192.168.113.99'), 'virtualServers[0].vip', 'address of node "rs1"'],
  ['duplicate node address', seedWith('192.168.113.98/24', '192.168.113.99/16'), 'nodes.rs2.address', 'node "rs1" already has IP 192.168.113.99'],
  // the status API address
  ['api without a port', seedWith('api: 0.0.0.0:9410', 'api: 0.0.0.0'), 'nodes.ds.api', "must be HOST:PORT (like 0.0.0.0:9410) or 'off'"],
  ['api port 0', seedWith('api: 0.0.0.0:9410', 'api: 0.0.0.0:0'), 'nodes.ds.api', 'port 0 is out of range 1..65535'],
  ['api port 65536', seedWith('api: 0.0.0.0:9410', 'api: 0.0.0.0:65536'), 'nodes.ds.api', 'port 65536 is out of range 1..65535'],
  ['api host a name', seedWith('api: 0.0.0.0:9410', 'api: example.org:9410'), 'nodes.ds.api', 'host "example.org"'],
  ['api host with a shell', seedWith('api: 0.0.0.0:9410', 'api: "$(reboot):9410"'), 'nodes.ds.api', 'host "$(reboot)"'],
  ['api as a number', seedWith('api: 0.0.0.0:9410', 'api: 9410'), 'nodes.ds.api', 'must be a string'],
  // ports and numbers
  ['port 0', seedWith('port: 8410\n    protocol', 'port: 0\n    protocol'), 'virtualServers[0].port', PORT],
  ['port 65536', seedWith('port: 8410\n    protocol', 'port: 65536\n    protocol'), 'virtualServers[0].port', PORT],
  ['port as a string', seedWith('port: 8410\n    protocol', 'port: "8410"\n    protocol'), 'virtualServers[0].port', PORT],
  ['non-integer port', seedWith('port: 8410\n    protocol', 'port: 8410.5\n    protocol'), 'virtualServers[0].port', PORT],
  ['real server port 70000', rs2('{ node: rs2, port: 70000 }'), 'virtualServers[0].realServers[1].port', PORT],
  ['weight over 65535', rs2('{ node: rs2, port: 8080, weight: 65536 }'), 'virtualServers[0].realServers[1].weight', 'from 0 to 65535'],
  ['persistence 0', seedWith('snat: true', 'snat: true\n    persistence: 0'), 'virtualServers[0].persistence', 'from 1 to 2678400'],
  ['masquerade mark not a single bit', seedWith('lab: seed', 'lab: seed\nmasqueradeMark: 0x4001'), 'masqueradeMark', 'power of two'],
  ['masquerade mark over 2^31', seedWith('lab: seed', 'lab: seed\nmasqueradeMark: 0x100000000'), 'masqueradeMark', 'power of two'],
  // enums
  ['unknown scheduler', seedWith('scheduler: rr', 'scheduler: roundrobin'), 'virtualServers[0].scheduler', 'must be one of rr, wrr, lc'],
  ['unknown forwarding', seedWith('forwarding: nat', 'forwarding: masq'), 'virtualServers[0].forwarding', 'must be one of nat, dr, tun'],
  ['unknown protocol', seedWith('protocol: tcp\n    scheduler', 'protocol: sctp\n    scheduler'), 'virtualServers[0].protocol', 'must be one of tcp, udp'],
  ['unknown role', seedWith('role: client', 'role: clinet'), 'nodes.client.role', 'must be one of director, real-server, client'],
  ['snat as "yes" (a string in YAML 1.2)', seedWith('snat: true', 'snat: yes'), 'virtualServers[0].snat', 'must be true or false'],
  // real servers
  ['real server on an unknown node', rs2('{ node: rs3, port: 8080 }'), 'virtualServers[0].realServers[1].node', 'unknown node "rs3"; known nodes: ds, client, rs1, rs2'],
  ['real server on a client node', rs2('{ node: client, port: 8080 }'), 'virtualServers[0].realServers[1].node', 'node "client" has role client'],
  ['real server on the director', rs2('{ node: ds, port: 8080 }'), 'virtualServers[0].realServers[1].node', 'has role director'],
  ['same real server twice', rs2('{ node: rs1, port: 8080 }'), 'virtualServers[0].realServers[1]', 'duplicate real server: realServers[0] is already rs1:8080'],
  ['no real servers', seedWith(RS, 'realServers: []'), 'virtualServers[0].realServers', 'at least one real server'],
  ['dr with a port change', seedWith('forwarding: nat', 'forwarding: dr'), 'virtualServers[0].realServers[0].port', 'forwarding dr cannot change the port'],
  ['tun with snat', seedWith('forwarding: nat', 'forwarding: tun').replace(/port: 8080/g, 'port: 8410'), 'virtualServers[0].snat', 'snat applies to forwarding nat only: with tun the real server answers the client directly'],
  // uniqueness
  ['duplicate VIP:port', seedWith('blocklists:', '  - { name: web2, vip: 10.10.0.1, port: 8410, realServers: [{ node: rs1, port: 80 }] }\nblocklists:'), 'virtualServers[1]', 'virtualServers[0] already serves tcp 10.10.0.1:8410'],
  ['duplicate VS name', seedWith('blocklists:', '  - { name: web, vip: 10.10.0.2, port: 80, realServers: [{ node: rs1, port: 80 }] }\nblocklists:'), 'virtualServers[1].name', 'duplicate virtual server name'],
  ['duplicate blocklist name', `${SEED_TEXT}  - { name: blacklist, entries: [] }\n`, 'blocklists[1].name', 'duplicate blocklist name'],
  ['two directors', seedWith('role: real-server, address: 192.168.113.98', 'role: director, address: 192.168.113.98'), 'nodes', 'exactly one node must have role director, or two with an ha key (keepalived\'s VRRP then floats the VIPs between them); found 2: ds, rs2'],
  ['no director', seedWith('role: director', 'role: client'), 'nodes', 'exactly one node must have role director; found none'],
  // hostile names
  ['node name with a space', seedWith('  rs2:', '  "rs 2":'), 'nodes["rs 2"]', NODE],
  ['node name with a newline', seedWith('  rs2:', '  "rs\\n2":'), 'nodes["rs\\n2"]', NODE],
  ['VS name with ;', seedWith('name: web', 'name: "web;reboot"'), 'virtualServers[0].name', NODE],
  ['VS name with $(reboot)', seedWith('name: web', 'name: $(reboot)'), 'virtualServers[0].name', NODE],
  ['lab name with backticks', seedWith('lab: seed', 'lab: "`id`"'), 'lab', 'must match ^[a-z][a-z0-9-]{0,9}$'],
  ['lab name of 11 characters', seedWith('lab: seed', 'lab: abcdefghijk'), 'lab', 'must match ^[a-z][a-z0-9-]{0,9}$'],
  ['blocklist name with a quote', seedWith(BL, `name: "bl'x"`), 'blocklists[0].name', 'must match ^[A-Za-z][A-Za-z0-9_-]*$'],
  ['blocklist name with a NUL', seedWith(BL, 'name: "bl\\0x"'), 'blocklists[0].name', 'must match ^[A-Za-z][A-Za-z0-9_-]*$'],
  ['prefix in lowercase', seedWith('lab: seed', 'lab: seed\nprefix: lvs-'), 'prefix', 'must match ^[A-Z][A-Z0-9-]{0,9}-$'],
  ['interface name of 16 characters', seedWith('lab: seed', 'lab: seed\ninterface: lvslab0123456789'), 'interface', 'must be a dummy link lvslab creates'],
  ['interface name with a slash', seedWith('lab: seed', 'lab: seed\ninterface: a/b'), 'interface', 'must be a dummy link lvslab creates'],
  // blocklists
  ['set name over 28 characters', seedWith(BL, 'name: a-blocklist-of-22-char'), 'blocklists[0].name', 'prefix + name ("LVSLAB-a-blocklist-of-22-char", 29 characters) and must be at most 28'],
  ['blocklist port without protocol', seedWith('    protocol: tcp\n    port: 8410', '    port: 8410'), 'blocklists[0].port', 'port requires protocol'],
  ['network in a hash:ip set', seedWith('[192.168.113.100]', '[192.168.113.0/24]'), 'blocklists[0].entries[0]', 'use type hash:net'],
  ['bad blocklist entry', seedWith('[192.168.113.100]', '[192.168.113.100, "1.2.3.4; reboot"]'), 'blocklists[0].entries[1]', 'not an IPv4 address'],
  // keys
  ['unknown key (typo realserver)', seedWith('realServers:', 'realserver:'), 'virtualServers[0].realserver', 'unknown key (did you mean "realServers"?)'],
  ['realServers missing', seedWith('realServers:', 'realserver:'), 'virtualServers[0].realServers', 'required'],
  ['unknown top-level key', seedWith('lab: seed', 'lab: seed\nnode: {}'), 'node', 'unknown key (did you mean "nodes"?)'],
  ['missing lab', seedWith('lab: seed', ''), 'lab', 'required'],
  ['bad cron schedule', seedWith('lab: seed', 'lab: seed\nreconcile: { schedule: "61 * * * *" }'), 'reconcile.schedule', 'node-cron expression'],
];

test('names the directors found when there are several, and says none when there is none', (t) => {
  const two = problemsOf(t, seedWith('role: real-server, address: 192.168.113.98', 'role: director, address: 192.168.113.98'));
  t.is(hasProblem(t, two, 'nodes', 'found 2')?.value, '["ds","rs2"]');
  const none = problemsOf(t, seedWith('role: director', 'role: client'));
  t.is(hasProblem(t, none, 'nodes', 'found none')?.value, '(no director)');
});

for (const [title, text, path, reason] of cases) {
  test(`refuses: ${title}`, (t) => {
    hasProblem(t, problemsOf(t, text), path, reason);
  });
}

test('shows a hostile name as an escaped value', (t) => {
  const found = hasProblem(t, problemsOf(t, seedWith('  rs2:', '  "rs\\n2":')), 'nodes["rs\\n2"]', NODE);
  t.is(found?.value, '"rs\\n2"');
});

test('reports every problem of a file, not just the first', (t) => {
  const problems = problemsOf(t, fixture('many-problems.yaml'));
  t.is(problems.length, 9, JSON.stringify(problems, null, 2));
  hasProblem(t, problems, 'nodes.rs1.address', 'octet 300');
  hasProblem(t, problems, 'nodes.rs2.address', 'node "client" already has IP 192.168.113.102');
  hasProblem(t, problems, 'virtualServers[0].port', PORT);
  hasProblem(t, problems, 'virtualServers[0].scheduler', 'must be one of');
  hasProblem(t, problems, 'virtualServers[0].realServers[1].node', 'unknown node "rs9"');
  hasProblem(t, problems, 'virtualServers[0].realServers[2].node', 'has role client');
  hasProblem(t, problems, 'virtualServers[1].vip', 'address of node "ds"');
  hasProblem(t, problems, 'virtualServers[1].realServer', 'did you mean "realServers"?');
  hasProblem(t, problems, 'virtualServers[1].realServers', 'required');
});

test('the same VIP and port on another protocol is fine', (t) => {
  const text = seedWith('blocklists:', '  - { name: web-udp, vip: 10.10.0.1, port: 8410, protocol: udp, realServers: [{ node: rs1, port: 80 }] }\nblocklists:');
  const result = parseLab(text, 'test.yaml');
  t.true(result.ok, JSON.stringify(result));
});

test('a node named __proto__ is refused by its name (a zod record drops that key, so a director named so passed)', (t) => {
  const problems = problemsOf(t, seedWith('  ds:', '  __proto__:'));
  hasProblem(t, problems, 'nodes.__proto__', "node name must match ^[a-z][a-z0-9-]{0,14}$ (lowercase letters, digits, '-')");
});
