/** Shared helpers of the config tests (not a test file: ava only runs *.test.js). */
import { readFileSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import { parseLab } from '../../../daemon/config/load.js';
import type { ConfigProblem } from '../../../daemon/config/types.js';

/** The tests always run from the repository root. */
export const repoPath = (relative: string): string => `${process.cwd()}/${relative}`;

export const SEED_TEXT = readFileSync(repoPath('labs/seed.yaml'), 'utf8');
/** The health check line of labs/seed.yaml's virtual server "web". */
export const SEED_CHECK = '    healthCheck: { type: http, path: /, interval: 2s, timeout: 1s, rise: 2, fall: 2 }\n';

export const fixture = (name: string): string => readFileSync(repoPath(`test/fixtures/config/${name}`), 'utf8');

/** The seed lab with `from` replaced by `to` (throws if `from` is not in it, so a typo cannot pass silently). */
export function seedWith(from: string, to: string): string {
  if (!SEED_TEXT.includes(from)) throw new Error(`seed.yaml does not contain ${JSON.stringify(from)}`);
  return SEED_TEXT.replace(from, to);
}

/** The problems of `text`, failing the test if it loads. */
export function problemsOf(t: ExecutionContext, text: string): ConfigProblem[] {
  const result = parseLab(text, 'test.yaml');
  if (result.ok) {
    t.fail('expected the lab to be refused, but it loaded');
    return [];
  }
  return result.problems;
}

/** Assert a problem exists at exactly `path` whose reason contains `reason`; return it. */
export function hasProblem(t: ExecutionContext, problems: readonly ConfigProblem[], path: string, reason: string): ConfigProblem | undefined {
  const found = problems.find((p) => p.path === path && p.reason.includes(reason));
  if (found === undefined) {
    t.fail(`no problem at ${path} with reason containing ${JSON.stringify(reason)}; got:\n${JSON.stringify(problems, null, 2)}`);
  } else {
    t.pass();
  }
  return found;
}
