/** Loading valid labs, reading files, and formatting problems. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { MAX_LAB_BYTES, formatProblems, loadLab, parseLab } from '../../../daemon/config/load.js';
import { DEFAULT_SERVICE_MODE, type LabConfig } from '../../../daemon/config/types.js';
import { hasProblem, problemsOf, repoPath, seedWith } from './helpers.js';

const SEED: LabConfig = {
  lab: 'seed',
  prefix: 'LVSLAB-',
  interface: 'lvslab0',
  masqueradeMark: 0x4000,
  reconcileSchedule: '*/5 * * * * *',
  reconcileCpuPercent: 10,
  nodes: [
    { name: 'ds', role: 'director', address: '192.168.113.101/24', ip: '192.168.113.101', prefixLength: 24, api: { host: '0.0.0.0', port: 9410 } },
    { name: 'client', role: 'client', address: '192.168.113.102/24', ip: '192.168.113.102', prefixLength: 24, api: { host: '127.0.0.1', port: 9410 } },
    { name: 'rs1', role: 'real-server', address: '192.168.113.99/24', ip: '192.168.113.99', prefixLength: 24, api: { host: '127.0.0.1', port: 9410 } },
    { name: 'rs2', role: 'real-server', address: '192.168.113.98/24', ip: '192.168.113.98', prefixLength: 24, api: { host: '127.0.0.1', port: 9410 } },
  ],
  virtualServers: [
    {
      name: 'web',
      vip: '10.10.0.1',
      port: 8410,
      protocol: 'tcp',
      scheduler: 'rr',
      forwarding: 'nat',
      snat: true,
      healthCheck: { type: 'http', path: '/', expectStatus: 200, intervalMs: 2000, timeoutMs: 1000, retryDelayMs: 1000, rise: 2, fall: 2, onFailure: 'inhibit' },
      realServers: [
        { node: 'rs1', port: 8080, weight: 1 },
        { node: 'rs2', port: 8080, weight: 1 },
      ],
    },
  ],
  blocklists: [{ name: 'blacklist', type: 'hash:ip', entries: ['192.168.113.100'], match: 'src', protocol: 'tcp', port: 8410 }],
  services: [],
  serviceMode: DEFAULT_SERVICE_MODE,
};

const tempDir = mkdtempSync(join(tmpdir(), 'lvslab-config-test-'));
test.after.always(() => rmSync(tempDir, { recursive: true, force: true }));

test('labs/seed.yaml loads into exactly the expected LabConfig', async (t) => {
  const result = await loadLab(repoPath('labs/seed.yaml'));
  t.deepEqual(result, { ok: true, lab: SEED });
});

test('a lab with every option set loads', async (t) => {
  const result = await loadLab(repoPath('test/fixtures/config/full.yaml'));
  if (!result.ok) return t.fail(formatProblems('full.yaml', result.problems));
  const { lab } = result;
  t.is(lab.prefix, 'LAB2-');
  t.is(lab.interface, 'lvslab-vips0');
  t.is(lab.reconcileSchedule, '0 */2 * * * *');
  t.is(lab.reconcileCpuPercent, 25);
  t.deepEqual(lab.nodes.map((n) => n.name), ['dir', 'web-1', 'web-2', 'tester']);
  t.deepEqual(lab.virtualServers[0], {
    name: 'dns',
    vip: '10.99.0.53',
    port: 53,
    protocol: 'udp',
    scheduler: 'sh',
    forwarding: 'dr',
    snat: false,
    persistence: 300,
    realServers: [
      { node: 'web-1', port: 53, weight: 0 },
      { node: 'web-2', port: 53, weight: 1 },
    ],
  });
  t.false('persistence' in (lab.virtualServers[1] ?? {}));
  t.deepEqual(lab.blocklists, [
    { name: 'bad_nets', type: 'hash:net', entries: ['192.0.2.0/24', '198.51.100.7', '203.0.113.128/25'], match: 'dst' },
    { name: 'Udp-Block', type: 'hash:ip', entries: [], match: 'src', protocol: 'udp' },
  ]);
});

test('defaults fill a minimal lab', (t) => {
  const result = parseLab('lab: mini\nnodes:\n  ds: { role: director, address: 10.0.0.1/8 }\n', 'mini.yaml');
  t.deepEqual(result, {
    ok: true,
    lab: {
      lab: 'mini',
      prefix: 'LVSLAB-',
      interface: 'lvslab0',
      masqueradeMark: 0x4000,
      reconcileSchedule: '*/5 * * * * *',
      reconcileCpuPercent: 10,
      nodes: [{ name: 'ds', role: 'director', address: '10.0.0.1/8', ip: '10.0.0.1', prefixLength: 8, api: { host: '127.0.0.1', port: 9410 } }],
      virtualServers: [],
      blocklists: [],
      services: [],
      serviceMode: DEFAULT_SERVICE_MODE,
    },
  });
});

test('a missing file is a problem, not a throw', async (t) => {
  const result = await loadLab(join(tempDir, 'nope.yaml'));
  t.false(result.ok);
  if (!result.ok) hasProblem(t, result.problems, '(file)', 'ENOENT');
});

test('a directory is a problem, not a throw', async (t) => {
  const result = await loadLab(tempDir);
  t.false(result.ok);
  if (!result.ok) hasProblem(t, result.problems, '(file)', 'not a regular file');
});

test('a file over 32 MiB is refused before parsing, naming its size', async (t) => {
  const path = join(tempDir, 'big.yaml');
  writeFileSync(path, `lab: big\n${'#'.repeat(MAX_LAB_BYTES)}\n`);
  const result = await loadLab(path);
  t.false(result.ok);
  if (!result.ok) {
    t.is(result.problems.length, 1);
    hasProblem(t, result.problems, '(file)', `the lab file is ${MAX_LAB_BYTES + 10} bytes; lab files are limited to 33554432 bytes (32 MiB)`);
  }
});

test('a file that is not UTF-8 is a problem', async (t) => {
  const path = join(tempDir, 'latin1.yaml');
  writeFileSync(path, Buffer.from([0x6c, 0x61, 0x62, 0x3a, 0x20, 0xe9, 0x0a]));
  const result = await loadLab(path);
  t.false(result.ok);
  if (!result.ok) hasProblem(t, result.problems, '(file)', 'not valid UTF-8');
});

test('loadLab reports the same problems as parseLab', async (t) => {
  const text = seedWith('port: 8410\n    protocol', 'port: 70000\n    protocol');
  const path = join(tempDir, 'port.yaml');
  writeFileSync(path, text);
  t.deepEqual(await loadLab(path), parseLab(text, path));
});

test('formatProblems renders path, value and reason on one line per problem', (t) => {
  const problems = problemsOf(t, seedWith('port: 8410\n    protocol', 'port: 70000\n    protocol'));
  t.is(formatProblems('seed.yaml', problems), 'seed.yaml: virtualServers[0].port: 70000 — must be an integer from 1 to 65535');
});

test('formatProblems escapes a newline in a value as \\n', (t) => {
  const fromFile = formatProblems('test.yaml', problemsOf(t, seedWith('name: web', 'name: "web\\nreboot"')));
  t.is(fromFile, `test.yaml: virtualServers[0].name: "web\\nreboot" — must match ^[a-z][a-z0-9-]{0,14}$ (lowercase letters, digits, '-')`);
  const raw = formatProblems('x.yaml', [{ path: 'a', value: 'one\ntwo\u0000\u202e', reason: 'bad\r\nreason' }]);
  t.is(raw, 'x.yaml: a: one\\ntwo\\u0000\\u202e — bad\\r\\nreason');
  t.false(raw.includes('\n'));
});

test('formatProblems truncates long values', (t) => {
  const line = formatProblems('x.yaml', problemsOf(t, seedWith('name: web', `name: "${'w'.repeat(500)}"`)));
  const value = line.split(': ')[2]?.split(' — ')[0] ?? '';
  t.true(value.length <= 60, value);
  t.true(value.startsWith('"www'));
  t.true(value.endsWith('…'));
});
