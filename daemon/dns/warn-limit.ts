/**
 * A limit on repeated warnings: at most one per interval; the ones held back are counted and the
 * count goes out with the next warning let through (or at shutdown). Keeps a flood of garbage
 * packets from flooding the journal too. Pure apart from the injected clock.
 */

export interface WarnLimit {
  /** Whether this warning may be logged now: the number held back since the last one, or undefined to hold it back. */
  admit(): number | undefined;
  /** The number held back and not yet reported; resets it. */
  flush(): number;
}

export function createWarnLimit(intervalMs: number, now: () => number = () => performance.now()): WarnLimit {
  let lastAt: number | undefined;
  let heldBack = 0;
  return {
    admit() {
      const at = now();
      if (lastAt !== undefined && at - lastAt < intervalMs) {
        heldBack += 1;
        return undefined;
      }
      lastAt = at;
      const count = heldBack;
      heldBack = 0;
      return count;
    },
    flush() {
      const count = heldBack;
      heldBack = 0;
      return count;
    },
  };
}
