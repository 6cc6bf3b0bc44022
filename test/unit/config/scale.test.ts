/** Big labs (issue 13): 10,000 virtual servers × 2 real servers and 100,000 blocklist entries, in YAML and JSON. */
import test, { type ExecutionContext } from 'ava';
import type { ConfigProblem } from '../../../daemon/config/types.js';
import { parseLab } from '../../../daemon/config/load.js';
import { bigLabBlockYaml, bigLabJson } from './big-lab.js';
import { hasProblem } from './helpers.js';

const SIZE = { virtualServers: 10_000, entries: 100_000 } as const;

// Cost: about 5 s of CPU on an idle 2-core machine (block YAML ~4 s, JSON ~1 s), the whole of this file.
test('a lab of 10,000 virtual servers × 2 real servers and 100,000 blocklist entries loads from block YAML and from JSON into the same LabConfig', (t) => {
  const yaml = parseLab(bigLabBlockYaml(SIZE), 'big.yaml');
  const json = parseLab(bigLabJson(SIZE), 'big.json');
  if (!yaml.ok) return t.fail(JSON.stringify(yaml.problems.slice(0, 3)));
  if (!json.ok) return t.fail(JSON.stringify(json.problems.slice(0, 3)));
  t.is(yaml.lab.virtualServers.length, 10_000);
  t.true(yaml.lab.virtualServers.every((vs) => vs.realServers.length === 2));
  t.is(yaml.lab.blocklists.reduce((sum, bl) => sum + bl.entries.length, 0), 100_000);
  t.deepEqual(json.lab, yaml.lab);
});

test('a JSON lab with 2,000 empty virtual servers lists 1,000 problems and one saying more were found', (t) => {
  const text = JSON.stringify({ lab: 'junk', nodes: { ds: { role: 'director', address: '10.0.0.1/8' } }, virtualServers: Array(2000).fill({}) });
  const problems = jsonProblemsOf(t, text);
  t.is(problems.length, 1001);
  hasProblem(t, problems, 'virtualServers[0].name', 'required');
  hasProblem(t, problems, '(file)', 'more than 1000 problems were found and only the first 1000 are listed');
});

/** The problems of `text` read as lab.json, failing the test if it loads. */
function jsonProblemsOf(t: ExecutionContext, text: string): ConfigProblem[] {
  const result = parseLab(text, 'lab.json');
  if (result.ok) t.fail('expected the lab to be refused, but it loaded');
  return result.ok ? [] : result.problems;
}
