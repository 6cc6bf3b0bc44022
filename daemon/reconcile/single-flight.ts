/**
 * Runs are single-flight: a trigger while a run is under way does not start a second one; all such
 * triggers coalesce into exactly one more run after it, and share its result.
 */
export interface SingleFlight<R> {
  trigger(): Promise<R>;
  readonly running: boolean;
}

export function singleFlight<R>(run: () => Promise<R>): SingleFlight<R> {
  let current: Promise<R> | undefined;
  let next: Promise<R> | undefined;
  const start = (): Promise<R> => {
    current = run().finally(() => {
      current = undefined;
    });
    return current;
  };
  return {
    get running() {
      return current !== undefined;
    },
    trigger() {
      if (!current) return start();
      if (!next) {
        next = current.then(
          () => undefined,
          () => undefined,
        ).then(() => {
          next = undefined;
          return start();
        });
      }
      return next;
    },
  };
}
