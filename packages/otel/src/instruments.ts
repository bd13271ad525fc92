import type { Counter, Histogram, Meter } from '@opentelemetry/api';

/** The metric instruments of the instrumentation, made from its current meter. */
export type Instruments = {
  processDuration: Histogram;
  consumedMessages: Counter;
  deliveries: Counter;
  verificationFailures: Counter;
  storeDuration: Histogram;
  deadLetters: Counter;
};

// The messaging conventions' advice for messaging.process.duration buckets, in seconds.
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const STORE_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Creates the instruments; called again whenever the meter provider changes. */
export function createInstruments(meter: Meter): Instruments {
  return {
    processDuration: meter.createHistogram('messaging.process.duration', {
      description: 'Duration of processing operation: one delivery, or one run of a queued job.',
      unit: 's',
      advice: { explicitBucketBoundaries: SECONDS },
    }),
    consumedMessages: meter.createCounter('messaging.client.consumed.messages', {
      description: 'Number of messages that were delivered to the application.',
      unit: '{message}',
    }),
    deliveries: meter.createCounter('hookguard.deliveries', {
      description: 'Webhook deliveries answered, by outcome and namespace.',
      unit: '{delivery}',
    }),
    verificationFailures: meter.createCounter('hookguard.verification.failures', {
      description: 'Deliveries the verifier refused, by error code.',
      unit: '{delivery}',
    }),
    storeDuration: meter.createHistogram('hookguard.store.duration', {
      description: 'Duration of dedup store operations, by store and operation.',
      unit: 's',
      advice: { explicitBucketBoundaries: STORE_SECONDS },
    }),
    deadLetters: meter.createCounter('hookguard.dead_letters', {
      description: 'Events dead-lettered after their last allowed attempt.',
      unit: '{event}',
    }),
  };
}
