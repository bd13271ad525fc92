import type { Attributes, Meter, ObservableCounter } from '@opentelemetry/api';

/**
 * A monotonic counter kept here and reported through an observable counter when metrics are
 * collected. The same cumulative sums a synchronous counter would report, at the cost of one Map
 * lookup per increment instead of the SDK hashing the attributes on every `add`: deliveries are
 * counted on the hot path, collections happen every few seconds.
 */
export class CounterSet {
  readonly #counts = new Map<string, { attributes: Attributes; value: number }>();

  /** Adds 1 to the series named `key`; `attributes` is read only the first time a key is seen. */
  increment(key: string, attributes: () => Attributes): void {
    const entry = this.#counts.get(key);
    if (entry !== undefined) entry.value += 1;
    else this.#counts.set(key, { attributes: attributes(), value: 1 });
  }

  /** Reports every series through an observable counter of `meter`. */
  observeWith(meter: Meter, name: string, options: { description: string; unit: string }): ObservableCounter {
    const counter = meter.createObservableCounter(name, options);
    counter.addCallback((result) => {
      for (const { attributes, value } of this.#counts.values()) result.observe(value, attributes);
    });
    return counter;
  }
}
