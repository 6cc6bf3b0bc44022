/** Labs for the plan tests, loaded from the real lab files (not a test file). */
import { readFileSync } from 'node:fs';
import { parseLab } from '../../../daemon/config/load.js';
import type { LabConfig } from '../../../daemon/config/types.js';

export function labFrom(path: string, edit: (text: string) => string = (t) => t): LabConfig {
  const result = parseLab(edit(readFileSync(`${process.cwd()}/${path}`, 'utf8')), path);
  if (!result.ok) throw new Error(`${path} does not load: ${JSON.stringify(result.problems)}`);
  return result.lab;
}

export const tool = (name: string): string => readFileSync(`${process.cwd()}/test/fixtures/tools/${name}`, 'utf8');
