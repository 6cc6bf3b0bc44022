/**
 * One read shared by everyone who asks at about the same time: callers while a read is in flight get
 * that read, and callers within `maxAgeMs` of its end get its value again. A failed read is not kept
 * (the next caller reads again). Used for the kernel reads behind the status API and /metrics, so a
 * burst of requests costs one `ipvsadm` or `conntrack` run, not one each.
 */
export interface SharedRead<T> {
  get(): Promise<T>;
}

export function sharedRead<T>(read: () => Promise<T>, maxAgeMs: number, now: () => number = () => performance.now()): SharedRead<T> {
  let inFlight: Promise<T> | undefined;
  let kept: { value: T; at: number } | undefined;
  return {
    get() {
      if (inFlight !== undefined) return inFlight;
      if (kept !== undefined && now() - kept.at < maxAgeMs) return Promise.resolve(kept.value);
      kept = undefined;
      const started = new Promise<T>((resolve) => resolve(read()));
      inFlight = started;
      started.then(
        (value) => { kept = { value, at: now() }; },
        () => undefined,
      ).finally(() => { inFlight = undefined; });
      return started;
    },
  };
}
