/** Labs written in JSON: the same schema and problem paths as YAML, syntax errors with line and column. */
import test, { type ExecutionContext } from 'ava';
import type { ConfigProblem } from '../../../daemon/config/types.js';
import { parseLab } from '../../../daemon/config/load.js';
import { SEED_TEXT, hasProblem } from './helpers.js';

/** labs/seed.yaml as a person would write it in JSON (the YAML's keys and values). */
const seedData = (): Record<string, unknown> => {
  return {
    lab: 'seed',
    nodes: {
      ds: { role: 'director', address: '192.168.113.101/24', api: '0.0.0.0:9410' },
      client: { role: 'client', address: '192.168.113.102/24' },
      rs1: { role: 'real-server', address: '192.168.113.99/24' },
      rs2: { role: 'real-server', address: '192.168.113.98/24' },
    },
    virtualServers: [
      { name: 'web', vip: '10.10.0.1', port: 8410, protocol: 'tcp', scheduler: 'rr', forwarding: 'nat', snat: true,
        healthCheck: { type: 'http', path: '/', interval: '2s', timeout: '1s', rise: 2, fall: 2 },
        realServers: [{ node: 'rs1', port: 8080, weight: 1 }, { node: 'rs2', port: 8080, weight: 1 }] },
    ],
    blocklists: [{ name: 'blacklist', type: 'hash:ip', entries: ['192.168.113.100'], match: 'src', protocol: 'tcp', port: 8410 }],
  };
};

test('the seed lab written in JSON loads into the same LabConfig as labs/seed.yaml', (t) => {
  t.deepEqual(parseLab(JSON.stringify(seedData(), null, 2), 'seed.json'), parseLab(SEED_TEXT, 'seed.yaml'));
});

test('text starting with { is read as JSON under a name that is not .yaml or .yml', (t) => {
  t.deepEqual(parseLab(JSON.stringify(seedData()), 'lab.conf'), parseLab(SEED_TEXT, 'seed.yaml'));
  const broken = parseLab('{"lab": "seed",}', 'lab.conf');
  t.true(!broken.ok && broken.problems[0]?.reason.startsWith('JSON syntax error'));
});

test('a .yaml file that is one flow mapping is still read as YAML', (t) => {
  const result = parseLab('{ lab: seed, nodes: { ds: { role: director, address: 10.0.0.1/8 } } }\n', 'lab.yaml');
  t.true(result.ok, JSON.stringify(result));
});

test('a bad value in a JSON lab has the same problem path as in YAML', (t) => {
  const data = seedData();
  (data['virtualServers'] as Record<string, unknown>[])[0]!['port'] = 70000;
  const problems = jsonProblemsOf(t, JSON.stringify(data));
  t.is(problems.length, 1);
  hasProblem(t, problems, 'virtualServers[0].port', 'must be an integer from 1 to 65535');
});

test('a JSON syntax error is one problem naming its line and column', (t) => {
  const problems = jsonProblemsOf(t, '{\n  "lab": "seed",\n  "nodes": {},\n}\n');
  t.is(problems.length, 1);
  const found = hasProblem(t, problems, '(json)', 'JSON syntax error at line 4, column 1: ');
  t.is(found?.value, '"}"');
});

test('a JSON file cut short is a syntax error at its end', (t) => {
  const problems = jsonProblemsOf(t, '{\n  "lab": "seed",\n  "nodes": {');
  t.is(problems.length, 1);
  const found = hasProblem(t, problems, '(json)', 'JSON syntax error at line 3, column 13: ');
  t.is(found?.value, '(end of file)');
});

test('a .json file whose root is a list is refused as such', (t) => {
  const result = parseLab('[1, 2]\n', 'lab.json');
  if (result.ok) return t.fail('a list root loaded');
  t.is(result.problems.length, 1);
  hasProblem(t, result.problems, '(root)', 'the document root is a list; expected an object with keys lab, nodes');
});

test('JSON junk of many tiny values is refused before JSON.parse, naming the values limit', (t) => {
  const problems = jsonProblemsOf(t, `{"lab":"seed","x":[${'{},'.repeat(300_000)}{}]}`);
  t.is(problems.length, 1);
  hasProblem(t, problems, '(json)', 'JSON values, the limit for its');
});

test('JSON nesting deeper than 64 levels is refused before JSON.parse', (t) => {
  hasProblem(t, jsonProblemsOf(t, `{"x":${'['.repeat(100)}${']'.repeat(100)}}`), '(json)', 'JSON nesting deeper than 64 levels at line 1');
});

/** The problems of `text` read as lab.json, failing the test if it loads. */
function jsonProblemsOf(t: ExecutionContext, text: string): ConfigProblem[] {
  const result = parseLab(text, 'lab.json');
  if (result.ok) t.fail('expected the lab to be refused, but it loaded');
  return result.ok ? [] : result.problems;
}
