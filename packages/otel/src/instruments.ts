import type { Histogram, Meter } from '@opentelemetry/api';
import { CounterSet } from './counter-set.js';

/** The counters, kept across meter changes (a new MeterProvider reports the same cumulative sums). */
export type Counters = {
  consumedMessages: CounterSet;
  deliveries: CounterSet;
  verificationFailures: CounterSet;
  deadLetters: CounterSet;
};

/** The metric instruments of the instrumentation, made from its current meter. */
export type Instruments = Counters & {
  processDuration: Histogram;
  storeDuration: Histogram;
};

// The messaging conventions' advice for messaging.process.duration buckets, in seconds.
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const STORE_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** New, empty counters. */
export function createCounters(): Counters {
  return { consumedMessages: new CounterSet(), deliveries: new CounterSet(), verificationFailures: new CounterSet(), deadLetters: new CounterSet() };
}

/** Creates the instruments on `meter`; called again whenever the meter provider changes. */
export function createInstruments(meter: Meter, counters: Counters): Instruments {
  counters.consumedMessages.observeWith(meter, 'messaging.client.consumed.messages', {
    description: 'Number of messages that were delivered to the application.',
    unit: '{message}',
  });
  counters.deliveries.observeWith(meter, 'hookguard.deliveries', { description: 'Webhook deliveries answered, by outcome and namespace.', unit: '{delivery}' });
  counters.verificationFailures.observeWith(meter, 'hookguard.verification.failures', { description: 'Deliveries the verifier refused, by error code.', unit: '{delivery}' });
  counters.deadLetters.observeWith(meter, 'hookguard.dead_letters', { description: 'Events dead-lettered after their last allowed attempt.', unit: '{event}' });
  return {
    ...counters,
    processDuration: meter.createHistogram('messaging.process.duration', {
      description: 'Duration of processing operation: one delivery, or one run of a queued job.',
      unit: 's',
      advice: { explicitBucketBoundaries: SECONDS },
    }),
    storeDuration: meter.createHistogram('hookguard.store.duration', {
      description: 'Duration of dedup store operations, by store and operation.',
      unit: 's',
      advice: { explicitBucketBoundaries: STORE_SECONDS },
    }),
  };
}
