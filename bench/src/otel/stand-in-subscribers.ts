// Stand-in telemetry subscribers for the OpenTelemetry figures: each joins the core's registry as
// @hookguard/otel does and does one part of its work, with the SDK's own tracer and meter, so what
// a part costs can be measured apart from the rest (otel-parts.ts in process, otel-overhead.ts over
// HTTP). Their spans and metrics have fixed names and attributes: they measure, they do not record.
//
//   pass        every record handed straight back: the core's records and the registry alone
//   wrap        every run wrapped in one .then (what any subscriber that ends something needs), nothing else
//   with        each delivery run in a context of its own (context.with, a value that is no span), no span
//   span        one CONSUMER span per delivery, started and ended, never made active
//   delivery    one CONSUMER span per delivery, made active, ended (no attribute set after the start)
//   spans       the four spans of an inline delivery (delivery and handler active), no attribute set after the start
//   histograms  the three histogram values of a delivery (process, claim, complete), no span
//   bare        spans and histograms together: the SDK calls of @hookguard/otel with no attribute set after a start, no counter
import { SpanKind, context, createContextKey, trace, type Attributes, type Histogram, type Meter, type Tracer } from '@opentelemetry/api';

/** The stand-ins' names, cheapest first. */
export const STAND_INS = ['pass', 'wrap', 'with', 'span', 'delivery', 'spans', 'histograms', 'bare'] as const;
export type StandInName = (typeof STAND_INS)[number];

// The registry's protocol (packages/core/src/telemetry/records.ts), as any subscriber sees it.
type Run = () => Promise<unknown>;
type StandIn = { trace(record: { kind: string; operation?: string }, run: Run): Promise<unknown> };
type Registry = { subscribers: readonly StandIn[] };

function registry(): Registry {
  return ((globalThis as Record<symbol, Registry | undefined>)[Symbol.for('hookguard.telemetry.v1')] ??= { version: 1, subscribers: [] } as Registry);
}

/** Runs `then` once `running` settles, settling as it does (one promise, as @hookguard/otel's wrapper). */
function after(running: Promise<unknown>, then: () => void): Promise<unknown> {
  return running.then(
    (value) => {
      then();
      return value;
    },
    (error: unknown) => {
      then();
      throw error;
    },
  );
}

/** Makes the stand-in `name` from the SDK's `tracer` and `meter`. */
export function standIn(name: StandInName, tracer: Tracer, meter: Meter): StandIn {
  const processDuration: Histogram = meter.createHistogram('messaging.process.duration', { unit: 's' });
  const storeDuration: Histogram = meter.createHistogram('hookguard.store.duration', { unit: 's' });
  const processMetric: Attributes = Object.freeze({ 'messaging.system': 'standard-webhooks', 'messaging.destination.name': 'standard-webhooks', 'messaging.operation.name': 'process' });
  const storeMetric: Attributes = Object.freeze({ 'hookguard.store': 'memory', 'hookguard.store.operation': 'claim' });
  const start: Attributes = Object.freeze({ 'messaging.system': 'standard-webhooks', 'messaging.operation.type': 'process', 'messaging.destination.name': 'standard-webhooks' });
  const consumer = Object.freeze({ kind: SpanKind.CONSUMER, attributes: start });
  const internal = Object.freeze({ kind: SpanKind.INTERNAL });
  const active = (span: ReturnType<Tracer['startSpan']>, run: Run, then: () => void = () => span.end()): Promise<unknown> =>
    after(context.with(trace.setSpan(context.active(), span), run), then);
  switch (name) {
    case 'pass':
      return { trace: (_record, run) => run() };
    case 'wrap':
      return { trace: (_record, run) => after(run(), () => undefined) };
    case 'with': {
      const key = createContextKey('bench.delivery');
      return { trace: (record, run) => (record.kind === 'delivery' ? after(context.with(context.active().setValue(key, record), run), () => undefined) : run()) };
    }
    case 'span':
      return {
        trace(record, run) {
          if (record.kind !== 'delivery') return run();
          const span = tracer.startSpan('process standard-webhooks', consumer);
          return after(run(), () => span.end());
        },
      };
    case 'delivery':
      return { trace: (record, run) => (record.kind === 'delivery' ? active(tracer.startSpan('process standard-webhooks', consumer), run) : run()) };
    case 'spans':
      return {
        trace(record, run) {
          if (record.kind === 'delivery') return active(tracer.startSpan('process standard-webhooks', consumer), run);
          if (record.kind === 'handler') return active(tracer.startSpan('handler invoice.paid', internal), run);
          const span = tracer.startSpan(`${record.operation} memory`, internal);
          return after(run(), () => span.end());
        },
      };
    case 'histograms':
      return {
        trace(record, run) {
          if (record.kind !== 'delivery' && record.kind !== 'store') return run();
          const startedAt = performance.now();
          const [histogram, attributes] = record.kind === 'delivery' ? [processDuration, processMetric] : [storeDuration, storeMetric];
          return after(run(), () => histogram.record((performance.now() - startedAt) / 1000, attributes));
        },
      };
    case 'bare':
      return {
        trace(record, run) {
          const startedAt = performance.now();
          if (record.kind === 'delivery') {
            const span = tracer.startSpan('process standard-webhooks', consumer);
            return active(span, run, () => {
              span.end();
              processDuration.record((performance.now() - startedAt) / 1000, processMetric);
            });
          }
          if (record.kind === 'handler') return active(tracer.startSpan('handler invoice.paid', internal), run);
          const span = tracer.startSpan(`${record.operation} memory`, internal);
          return after(run(), () => {
            span.end();
            storeDuration.record((performance.now() - startedAt) / 1000, storeMetric);
          });
        },
      };
  }
}

/** Subscribes `subscriber` to the core's registry; returns the function that removes it. */
export function subscribe(subscriber: StandIn): () => void {
  const shared = registry();
  shared.subscribers = [...shared.subscribers, subscriber];
  return () => {
    shared.subscribers = shared.subscribers.filter((other) => other !== subscriber);
  };
}
