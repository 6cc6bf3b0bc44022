/**
 * Bounding the problems of a hostile lab: a file of a million empty virtual servers would otherwise
 * cost four zod issues each (gigabytes, a minute). The big collections are checked element by element
 * first, stopping at MAX_PROBLEMS; the cross-field checks collect into a list that stops storing there.
 */
import type * as z from 'zod';
import type { ConfigProblem } from './types.js';
import { isMapping, own, zodProblems } from './problems.js';
import { labSchema } from './schema.js';
import { MAX_PROBLEMS } from './limits.js';

/** The collections a lab may hold by the thousand, with the schema of one element. */
const COLLECTIONS: readonly (readonly [string, z.ZodType])[] = [
  ['nodes', labSchema.shape.nodes.valueType],
  ['virtualServers', labSchema.shape.virtualServers.unwrap().element],
  ['blocklists', labSchema.shape.blocklists.unwrap().element],
  ['services', labSchema.shape.services.unwrap().element],
];

/**
 * When the elements of the big collections alone have more than MAX_PROBLEMS problems, the first
 * MAX_PROBLEMS of them and one saying so; otherwise undefined (the whole schema then runs as usual).
 */
export function tooManyElementProblems(data: unknown): ConfigProblem[] | undefined {
  const out: ConfigProblem[] = [];
  const check = (schema: z.ZodType, key: string, at: PropertyKey, element: unknown): boolean => {
    const parsed = schema.safeParse(element);
    if (parsed.success) return false;
    const issues = parsed.error.issues.map((issue) => ({ ...issue, path: [key, at, ...issue.path] }));
    out.push(...zodProblems(issues as typeof parsed.error.issues, data));
    return out.length > MAX_PROBLEMS;
  };
  for (const [key, schema] of COLLECTIONS) {
    const value = own(data, key);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) if (check(schema, key, i, value[i])) return capProblems(out, true);
    } else if (isMapping(value)) {
      for (const name of Object.keys(value)) if (check(schema, key, name, value[name])) return capProblems(out, true);
    }
  }
  return undefined;
}

/** At most MAX_PROBLEMS problems, and one more saying that more were found when there were. */
export function capProblems(problems: readonly ConfigProblem[], more = false): ConfigProblem[] {
  if (problems.length <= MAX_PROBLEMS && !more) return [...problems];
  return [
    ...problems.slice(0, MAX_PROBLEMS),
    {
      path: '(file)',
      value: `(more than ${MAX_PROBLEMS} problems)`,
      reason: `more than ${MAX_PROBLEMS} problems were found and only the first ${MAX_PROBLEMS} are listed (the limit of a lab's problems): fix those and check again`,
    },
  ];
}

/** A problem list that keeps the first MAX_PROBLEMS pushed and only counts the rest. */
export class ProblemList extends Array<ConfigProblem> {
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  dropped = 0;

  override push(...items: ConfigProblem[]): number {
    for (const item of items) {
      if (this.length < MAX_PROBLEMS) super.push(item);
      else this.dropped++;
    }
    return this.length;
  }
}
