import type { Attributes, Meter, ObservableCounter } from '@opentelemetry/api';

/** One series of a {@link CounterSet}: add to `value` to count. */
export type CounterCell = { readonly attributes: Attributes; value: number };

/**
 * A monotonic counter kept here and reported through an observable counter when metrics are
 * collected. The same cumulative sums a synchronous counter would report, at the cost of one Map
 * lookup per increment (none when the caller keeps the series' cell) instead of the SDK hashing
 * the attributes on every `add`: deliveries are counted on the hot path, collections happen every
 * few seconds.
 */
export class CounterSet {
  readonly #counts = new Map<string, CounterCell>();

  /** The series named `key`, made with `attributes()` the first time the key is seen. */
  series(key: string, attributes: () => Attributes): CounterCell {
    let cell = this.#counts.get(key);
    if (cell === undefined) {
      cell = { attributes: attributes(), value: 0 };
      this.#counts.set(key, cell);
    }
    return cell;
  }

  /** Adds 1 to the series named `key`; `attributes` is read only the first time a key is seen. */
  increment(key: string, attributes: () => Attributes): void {
    this.series(key, attributes).value += 1;
  }

  /** Reports every series through an observable counter of `meter`. */
  observeWith(meter: Meter, name: string, options: { description: string; unit: string }): ObservableCounter {
    const counter = meter.createObservableCounter(name, options);
    counter.addCallback((result) => {
      for (const { attributes, value } of this.#counts.values()) if (value > 0) result.observe(value, attributes);
    });
    return counter;
  }
}
