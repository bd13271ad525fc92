/** A signal that aborts when any of `signals` does, and `dispose` to stop listening to them. */
export type LinkedSignal = { signal: AbortSignal; dispose: () => void };

/**
 * Links several optional signals into one. Written out rather than `AbortSignal.any` so that
 * listeners are removed once the work is done: a long-lived handler signal would otherwise keep
 * every linked signal alive.
 */
export function linkSignals(signals: readonly (AbortSignal | undefined)[]): LinkedSignal {
  const controller = new AbortController();
  const sources = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  const aborted = sources.find((signal) => signal.aborted);
  if (aborted !== undefined) {
    controller.abort(aborted.reason);
    return { signal: controller.signal, dispose: () => undefined };
  }
  const listeners = sources.map((source) => {
    const listener = (): void => controller.abort(source.reason);
    source.addEventListener('abort', listener, { once: true });
    return { source, listener };
  });
  return {
    signal: controller.signal,
    dispose: () => {
      for (const { source, listener } of listeners) source.removeEventListener('abort', listener);
    },
  };
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
