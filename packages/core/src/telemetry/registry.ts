import type { TelemetryRecord, TelemetrySubscriber } from './records.js';

/**
 * The registry subscribers join, on `globalThis` under a `Symbol.for` key: every copy of the core
 * in the process (two installed versions, a bundle and a package) publishes to the same one, and a
 * subscriber needs no import of the core. Versioned so a future incompatible protocol gets a new key.
 */
export type TelemetryRegistry = {
  readonly version: 1;
  /** Replaced, never mutated, when a subscriber joins or leaves: a running delivery keeps its list. */
  subscribers: readonly TelemetrySubscriber[];
};

/** The registry's key on `globalThis`. */
export const TELEMETRY_REGISTRY_KEY: unique symbol = Symbol.for('hookguard.telemetry.v1') as never;

type RegistryHolder = { [TELEMETRY_REGISTRY_KEY]?: TelemetryRegistry };

function sharedRegistry(): TelemetryRegistry {
  const holder = globalThis as RegistryHolder;
  return (holder[TELEMETRY_REGISTRY_KEY] ??= { version: 1, subscribers: [] });
}

const registry = sharedRegistry();

/**
 * Whether anyone listens. Call sites check it before building a record or a closure, so a receiver
 * with no subscriber allocates nothing for telemetry.
 */
export function telemetryActive(): boolean {
  const { subscribers } = registry;
  if (subscribers.length === 0) return false;
  for (const subscriber of subscribers) if (subscriber.sleeping === undefined || !subscriber.sleeping()) return true;
  return false;
}

/**
 * Runs `run` through every subscriber's `trace`. A subscriber that throws before running it is
 * skipped; `run` is never run twice, whatever a subscriber does.
 */
export function traced<T>(record: TelemetryRecord, run: () => Promise<T>): Promise<T> {
  const { subscribers } = registry;
  let next = run;
  for (let index = subscribers.length - 1; index >= 0; index -= 1) {
    const subscriber = subscribers[index]!;
    const inner = next;
    next = () => {
      let started: Promise<T> | undefined;
      const once = (): Promise<T> => (started ??= settle(inner));
      try {
        return subscriber.trace(record, once);
      } catch {
        return once();
      }
    };
  }
  return next();
}

/** Calls `run`, turning a synchronous throw into a rejection, so it is never retried as "not started". */
function settle<T>(run: () => Promise<T>): Promise<T> {
  try {
    return run();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The current trace context as W3C headers, for a queued job; `undefined` when no subscriber sets one. */
export function injectTraceContext(): Record<string, string> | undefined {
  const carrier: Record<string, string> = {};
  for (const subscriber of registry.subscribers) {
    try {
      subscriber.inject?.(carrier);
    } catch {
      // A subscriber's failure never fails a delivery: the job just travels without a context.
    }
  }
  for (const _name in carrier) return carrier;
  return undefined;
}

/**
 * Adds a subscriber to the process-wide registry; returns the function that removes it.
 *
 * @example
 * ```ts
 * const unsubscribe = subscribeTelemetry({
 *   async trace(record, run) {
 *     const started = performance.now();
 *     try {
 *       return await run();
 *     } finally {
 *       if (record.kind === 'delivery') console.log(record.report?.outcome, performance.now() - started);
 *     }
 *   },
 * });
 * ```
 */
export function subscribeTelemetry(subscriber: TelemetrySubscriber): () => void {
  registry.subscribers = [...registry.subscribers, subscriber];
  return () => {
    registry.subscribers = registry.subscribers.filter((other) => other !== subscriber);
  };
}
