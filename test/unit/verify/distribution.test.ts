import test from 'ava';
import { checkDistribution } from '../../../daemon/verify/distribution.js';
import { web, withVs } from './helpers.js';

const answers = (counts: Record<string, number>): string[] =>
  Object.entries(counts).flatMap(([node, n]) => Array.from({ length: n }, () => node));

const wrr31 = withVs({ scheduler: 'wrr', realServers: [{ node: 'rs1', port: 8080, weight: 3 }, { node: 'rs2', port: 8080, weight: 1 }] }).vs;

test('rr: 5/5 is even', (t) => {
  const check = checkDistribution(web, answers({ rs1: 5, rs2: 5 }));
  t.true(check.ok);
  t.deepEqual(check.distribution, { rs1: 5, rs2: 5 });
  t.is(check.rule, 'rr: counts differ by at most 1');
});

test('rr: 8/2 is off', (t) => {
  t.false(checkDistribution(web, answers({ rs1: 8, rs2: 2 })).ok);
});

test('rr: an odd number of answers may differ by one; a silent server is listed with 0', (t) => {
  t.true(checkDistribution(web, answers({ rs1: 3, rs2: 2 })).ok);
  const check = checkDistribution(web, answers({ rs1: 2 }));
  t.false(check.ok);
  t.deepEqual(check.distribution, { rs1: 2, rs2: 0 });
});

test('rr: a weight-0 server is left out of the spread and must not answer', (t) => {
  const { vs } = withVs({ realServers: [...web.realServers, { node: 'ds', port: 8080, weight: 0 }] });
  const quiet = checkDistribution(vs, answers({ rs1: 2, rs2: 2 }));
  t.true(quiet.ok);
  t.regex(quiet.rule, /none from weight-0 ds/);
  t.false(checkDistribution(vs, answers({ rs1: 2, rs2: 2, ds: 1 })).ok);
});

test('wrr 3:1 over 8 answers: 6/2 passes and the rule says what was expected', (t) => {
  const check = checkDistribution(wrr31, answers({ rs1: 6, rs2: 2 }));
  t.true(check.ok);
  t.is(check.rule, 'wrr 3:1 over 8 answers → rs1 6, rs2 2 (±1)');
  t.true(checkDistribution(wrr31, answers({ rs1: 5, rs2: 3 })).ok);
});

test('wrr 3:1 over 8 answers: 4/4 is off', (t) => {
  t.false(checkDistribution(wrr31, answers({ rs1: 4, rs2: 4 })).ok);
});

test('an answer from no real server of the service fails, whatever the scheduler', (t) => {
  const check = checkDistribution(web, [...answers({ rs1: 2, rs2: 2 }), 'nginx']);
  t.false(check.ok);
  t.is(check.distribution['nginx'], 1);
  t.regex(check.rule, /answers from no real server of web: "nginx" ×1/);
  const lc = withVs({ scheduler: 'lc' }).vs;
  t.true(checkDistribution(lc, answers({ rs1: 7, rs2: 1 })).ok);
  t.false(checkDistribution(lc, ['client']).ok);
});

test('a persistent service answers one client from one server', (t) => {
  const { vs } = withVs({ persistence: 300 });
  t.true(checkDistribution(vs, answers({ rs2: 4 })).ok);
  t.false(checkDistribution(vs, answers({ rs1: 2, rs2: 2 })).ok);
});
