/**
 * What a long command is waiting for, on stderr. On a terminal, one line that updates itself with
 * the elapsed time (`waiting for convergence: ds, rs1 (12 s)`); elsewhere (a pipe, a log, CI) each step
 * once, as a plain line, with no time (nothing in a log should change from one run to the next but
 * what happened).
 */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface Progress {
  /** Now waiting for WHAT (replaces the step before). */
  step(what: string): void;
  /** No step any more: the updating line is cleared. */
  done(): void;
  /** Writes a line of output without mixing it into the updating line (which is drawn again after). */
  around(write: () => void): void;
}

export interface ProgressClock {
  now(): number;
  /** Calls TICK every MS until the returned stop is called. */
  every(ms: number, tick: () => void): () => void;
}

const realClock: ProgressClock = {
  now: () => performance.now(),
  every: (ms, tick) => {
    const timer = setInterval(tick, ms);
    timer.unref(); // a progress line never keeps the process alive
    return () => clearInterval(timer);
  },
};

/** Seconds, as the line shows them: "0.4 s" under 10 s, then whole seconds. */
export const elapsed = (ms: number): string => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);

export function progress(stream: ProgressStream, clock: ProgressClock = realClock): Progress {
  if (!stream.isTTY) {
    return { step: (what) => void stream.write(`${what}\n`), done: () => undefined, around: (write) => write() };
  }
  let what = '';
  let since = 0;
  let stop: (() => void) | undefined;
  const draw = () => void stream.write(`\r\x1b[2K${what} (${elapsed(clock.now() - since)})`);
  return {
    step(next) {
      what = next;
      since = clock.now();
      draw();
      stop ??= clock.every(250, draw);
    },
    done() {
      stop?.();
      stop = undefined;
      if (what !== '') stream.write('\r\x1b[2K');
      what = '';
    },
    around(write) {
      if (what !== '') stream.write('\r\x1b[2K');
      write();
      if (what !== '') draw();
    },
  };
}
