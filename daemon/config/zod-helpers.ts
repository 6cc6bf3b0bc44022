/**
 * Small zod builders shared by the lab schemas: every error message is a reason a person can act
 * on, prefixed with "required:" when the key is absent.
 */
import * as z from 'zod';
import { formatDuration, parseDuration } from './duration.js';

/** Node and virtual server names. */
export const NAME = /^[a-z][a-z0-9-]{0,14}$/;

/** Error options: `text` as the reason, prefixed with "required:" when the key is absent. */
export const say = (text: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? `required: ${text}` : text),
});

export const named = (pattern: RegExp, hint: string) =>
  z.string(say(`must be a string matching ${pattern.source} (${hint})`)).regex(pattern, say(`must match ${pattern.source} (${hint})`));

export const int = (min: number, max: number) => {
  const text = `must be an integer from ${min} to ${max}`;
  return z.number(say(text)).int(say(text)).min(min, say(text)).max(max, say(text));
};

/** An integer with no upper bound of its own (a cross-field check may bound it). */
export const atLeast = (min: number) => {
  const text = `must be an integer of at least ${min}`;
  return z.number(say(text)).int(say(text)).min(min, say(text));
};

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, say(`must be one of ${values.join(', ')}`));

/** A string checked by `problem` (which returns the reason or undefined). */
export const checked = (what: string, problem: (text: string) => string | undefined) =>
  z.string(say(`must be a string: ${what}`)).superRefine((text, ctx) => {
    const reason = problem(text);
    if (reason !== undefined) ctx.addIssue({ code: 'custom', message: reason });
  });

/** A strict mapping; its unknown keys are reported one by one (see problems.ts). */
export const strict = <S extends z.ZodRawShape>(shape: S) => z.strictObject(shape, say('must be a mapping'));

export const port = int(1, 65535);
export const nodeName = named(NAME, "lowercase letters, digits, '-'");

/** A duration string ("2s", "500ms", "1m") from `min` to `max` milliseconds; its output is milliseconds. */
export const duration = (min: number, max: number) => {
  const text = `must be a duration like "2s", "500ms" or "1m" (a whole number and ms, s, m or h), from ${formatDuration(min)} to ${formatDuration(max)}`;
  return checked(text, (t) => {
    const ms = parseDuration(t);
    return ms === undefined || ms < min || ms > max ? text : undefined;
  }).transform((t) => parseDuration(t) ?? 0);
};
