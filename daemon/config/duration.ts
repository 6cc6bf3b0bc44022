/**
 * Durations as a lab file writes them: a whole number and one unit, "500ms", "2s", "1m", "1h".
 * Deliberately small: no fractions, no compound forms ("1m30s"), no bare numbers (is 2 seconds or
 * milliseconds?).
 */

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^([0-9]{1,9})(ms|s|m|h)$/;

/** "2s" → 2000, "500ms" → 500, "1m" → 60000; undefined when `text` is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (match === null) return undefined;
  const [, digits = '', unit = ''] = match;
  if (digits.length > 1 && digits.startsWith('0')) return undefined;
  const factor = UNITS[unit];
  return factor === undefined ? undefined : Number(digits) * factor;
}

/** 2000 → "2s", 500 → "500ms", 90000 → "90s": the shortest exact form, for reasons and logs. */
export function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
