import type { Attributes } from '@opentelemetry/api';
import * as attr from './attributes.js';
import type { CounterCell } from './counter-set.js';
import type { Counters } from './instruments.js';

/** What a delivery's process span and metrics share with every other delivery of one receiver. */
export type DeliverySeries = {
  readonly spanName: string;
  /** The span's attributes known when it starts. Shared: never mutated. */
  readonly startAttributes: Attributes;
  /** `messaging.process.duration`'s attributes and the consumed-messages series, by operation and error type. */
  processed(operation: string, errorType: string | undefined): ProcessedSeries;
  /** The `hookguard.deliveries` series of `outcome`. */
  delivered(outcome: string): CounterCell;
  /** The `hookguard.verification.failures` series of `code`. */
  refused(code: string): CounterCell;
  /** The `hookguard.dead_letters` series of `mode`. */
  deadLettered(mode: string): CounterCell;
};

export type ProcessedSeries = { readonly metric: Attributes; readonly consumed: CounterCell };

/** What a store call's span and metric share with every other call of one store, operation and namespace. */
export type StoreSeries = {
  readonly spanName: string;
  /** The span's attributes. Shared: never mutated. */
  readonly attributes: Attributes;
  /** `hookguard.store.duration`'s attributes when the call succeeded. Shared: never mutated. */
  readonly metric: Attributes;
};

/**
 * The attribute objects, span names and counter series of every (system, namespace) and (store,
 * operation, namespace) seen, made once: a delivery then builds no attribute object, no metric key
 * and no span name of its own. Keys are nested Maps of the records' own strings (the same string
 * objects delivery after delivery), so a lookup concatenates nothing. Bounded by the receivers'
 * configuration, never by what senders send.
 */
export class SeriesCache {
  readonly #counters: Counters;
  readonly #deliveries = new Map<string, Map<string, DeliverySeries>>();
  readonly #stores = new Map<string, Map<string, Map<string, StoreSeries>>>();

  constructor(counters: Counters) {
    this.#counters = counters;
  }

  delivery(system: string, namespace: string): DeliverySeries {
    let bySystem = this.#deliveries.get(system);
    if (bySystem === undefined) this.#deliveries.set(system, (bySystem = new Map()));
    let series = bySystem.get(namespace);
    if (series === undefined) bySystem.set(namespace, (series = this.#newDelivery(system, namespace)));
    return series;
  }

  store(store: string, operation: string, namespace: string): StoreSeries {
    let byStore = this.#stores.get(store);
    if (byStore === undefined) this.#stores.set(store, (byStore = new Map()));
    let byOperation = byStore.get(operation);
    if (byOperation === undefined) byStore.set(operation, (byOperation = new Map()));
    let series = byOperation.get(namespace);
    if (series === undefined) {
      series = {
        spanName: `${operation} ${store}`,
        attributes: Object.freeze({ [attr.STORE]: store, [attr.STORE_OPERATION]: operation, [attr.MESSAGING_DESTINATION_NAME]: namespace }),
        metric: Object.freeze({ [attr.STORE]: store, [attr.STORE_OPERATION]: operation }),
      };
      byOperation.set(namespace, series);
    }
    return series;
  }

  #newDelivery(system: string, namespace: string): DeliverySeries {
    const counters = this.#counters;
    const where = `${system}\u0000${namespace}`;
    const place = { [attr.MESSAGING_SYSTEM]: system, [attr.MESSAGING_DESTINATION_NAME]: namespace };
    const processed = new Map<string, Map<string, ProcessedSeries>>();
    const delivered = new Map<string, CounterCell>();
    const refused = new Map<string, CounterCell>();
    const deadLettered = new Map<string, CounterCell>();
    return {
      spanName: `process ${namespace}`,
      startAttributes: Object.freeze({ [attr.MESSAGING_SYSTEM]: system, [attr.MESSAGING_OPERATION_TYPE]: 'process', [attr.MESSAGING_DESTINATION_NAME]: namespace }),
      processed(operation, errorType) {
        let byOperation = processed.get(operation);
        if (byOperation === undefined) processed.set(operation, (byOperation = new Map()));
        const error = errorType ?? '';
        let series = byOperation.get(error);
        if (series === undefined) {
          const metric: Attributes = { ...place, [attr.MESSAGING_OPERATION_NAME]: operation };
          if (errorType !== undefined) metric[attr.ERROR_TYPE] = errorType;
          Object.freeze(metric);
          series = { metric, consumed: counters.consumedMessages.series(`${where}\u0000${operation}\u0000${error}`, () => metric) };
          byOperation.set(error, series);
        }
        return series;
      },
      delivered: (outcome) => cached(delivered, outcome, () => counters.deliveries.series(`${where}\u0000${outcome}`, () => ({ [attr.OUTCOME]: outcome, ...place }))),
      refused: (code) => cached(refused, code, () => counters.verificationFailures.series(`${where}\u0000${code}`, () => ({ [attr.ERROR_TYPE]: code, ...place }))),
      deadLettered: (mode) => cached(deadLettered, mode, () => counters.deadLetters.series(`${where}\u0000${mode}`, () => ({ ...place, [attr.MODE]: mode }))),
    };
  }
}

function cached<V>(map: Map<string, V>, key: string, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}
