import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Attributes, type Link, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import * as attr from './attributes.js';
import type { Instruments } from './instruments.js';
import { SeriesCache } from './series-cache.js';
import type { DeliveryRecord, HandlerRecord, JobRecord, StoreRecord, TelemetryRecord, TelemetrySubscriber } from './protocol.js';

/** Where the subscriber gets the instrumentation's current tracer and instruments. */
export type TelemetrySource = {
  tracer(): Tracer;
  instruments(): Instruments;
  /** `true` while neither spans nor metrics would be kept (the API's no-ops): then nothing is recorded. */
  idle(): boolean;
};

/**
 * Turns the core's records into spans and metrics. Every value recorded is a name, a code, a
 * count, an id or a duration: never a message, a header, a body or a secret.
 */
export function createSpanSubscriber(source: TelemetrySource): TelemetrySubscriber {
  // The counters outlive meter changes, so the series made from them stay valid.
  let cache: SeriesCache | undefined;
  const series = (): SeriesCache => (cache ??= new SeriesCache(source.instruments()));
  return {
    trace<T>(record: TelemetryRecord, run: () => Promise<T>): Promise<T> {
      if (source.idle()) return run();
      switch (record.kind) {
        case 'delivery':
          return traceDelivery(source, series(), record, run);
        case 'job':
          return traceJob(source, record, run);
        case 'store':
          return traceStore(source, series(), record, run);
        case 'handler':
          return traceHandler(source, record, run);
        default:
          // A record kind from a newer core: run it untraced.
          return run();
      }
    },
    sleeping: () => source.idle(),
    inject(carrier: Record<string, string>): void {
      propagation.inject(context.active(), carrier);
    },
  };
}

/** Runs `run` with `span` active, then `finish` with how it settled; settles as `run` does. */
function within<T>(span: Span, run: () => Promise<T>, finish: (failure: { error: unknown } | undefined, value: T | undefined) => void): Promise<T> {
  return settled(context.with(trace.setSpan(context.active(), span), run), finish);
}

/** Calls `finish` with how `running` settled; settles as it does, whatever `finish` does. */
function settled<T>(running: Promise<T>, finish: (failure: { error: unknown } | undefined, value: T | undefined) => void): Promise<T> {
  return running.then(
    (value) => {
      record(finish, undefined, value);
      return value;
    },
    (error: unknown) => {
      record(finish, { error }, undefined);
      throw error;
    },
  );
}

/** Telemetry never changes an outcome: a failure while recording is dropped, not raised. */
function record<T>(finish: (failure: { error: unknown } | undefined, value: T | undefined) => void, failure: { error: unknown } | undefined, value: T | undefined): void {
  try {
    finish(failure, value);
  } catch {
    // Nothing to do: the run itself settled, and its result must reach the pipeline unchanged.
  }
}

function seconds(startedAt: number): number {
  return (performance.now() - startedAt) / 1000;
}

function traceDelivery<T>(source: TelemetrySource, cache: SeriesCache, record: DeliveryRecord, run: () => Promise<T>): Promise<T> {
  const startedAt = performance.now();
  const series = cache.delivery(record.system, record.namespace);
  const span = source.tracer().startSpan(series.spanName, { kind: SpanKind.CONSUMER, attributes: series.startAttributes });
  return within(span, run, (failure) => {
    const report = record.report;
    // queued mode's acceptance answers once the event is durably queued; a worker processes it.
    const operation = record.mode === 'queued' ? 'accept' : 'process';
    // One attribute at a time: an object built for setAttributes would be garbage at once.
    span.setAttribute(attr.MESSAGING_OPERATION_NAME, operation);
    let errorType: string | undefined;
    if (report !== undefined) {
      span.setAttribute(attr.OUTCOME, report.outcome);
      span.setAttribute(attr.STATUS_CODE, report.status);
      if (report.id !== undefined) span.setAttribute(attr.MESSAGING_MESSAGE_ID, report.id);
      if (report.type !== undefined) span.setAttribute(attr.EVENT_TYPE, report.type);
      if (report.attempt !== undefined) span.setAttribute(attr.ATTEMPT, report.attempt);
      if (report.dedupSkipped) span.setAttribute(attr.DEDUP_SKIPPED, true);
      if (report.leaseLost) span.setAttribute(attr.LEASE_LOST, true);
      if (report.error !== undefined) errorType = attr.deliveryErrorType(report.error);
    } else if (failure !== undefined) {
      errorType = attr.errorType(failure.error);
    }
    if (record.mode !== undefined) span.setAttribute(attr.MODE, record.mode);
    if (errorType !== undefined) span.setAttribute(attr.ERROR_TYPE, errorType);
    // Only the receiver's own failures (5xx) are errors of the span; a 4xx is the sender's mistake.
    if (failure !== undefined || (report !== undefined && report.status >= 500)) span.setStatus({ code: SpanStatusCode.ERROR, message: errorType ?? attr.OTHER_ERROR });
    span.end();
    const processed = series.processed(operation, errorType);
    source.instruments().processDuration.record(seconds(startedAt), processed.metric);
    processed.consumed.value += 1;
    const outcome = report?.outcome ?? 'failed';
    series.delivered(outcome).value += 1;
    if (record.verificationFailed && errorType !== undefined) series.refused(errorType).value += 1;
    if (outcome === 'dead_lettered') series.deadLettered(record.mode ?? 'inline').value += 1;
  });
}

function traceJob<T>(source: TelemetrySource, record: JobRecord, run: () => Promise<T>): Promise<T> {
  const startedAt = performance.now();
  const links: Link[] = [];
  if (record.trace !== undefined) {
    // The job carries the accepting request's context: link to it (the conventions' advice for a
    // process span whose message was created in another trace), rather than parent under it.
    const accepted = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, record.trace));
    if (accepted !== undefined && trace.isSpanContextValid(accepted)) links.push({ context: accepted });
  }
  const span = source.tracer().startSpan(`process ${record.namespace}`, {
    kind: SpanKind.CONSUMER,
    links,
    attributes: {
      [attr.MESSAGING_SYSTEM]: record.system,
      [attr.MESSAGING_OPERATION_TYPE]: 'process',
      [attr.MESSAGING_OPERATION_NAME]: 'process',
      [attr.MESSAGING_DESTINATION_NAME]: record.namespace,
      [attr.MESSAGING_MESSAGE_ID]: record.id,
      [attr.EVENT_TYPE]: record.type,
      [attr.ATTEMPT]: record.attempt,
      [attr.MODE]: 'queued',
      [attr.QUEUE]: record.queue,
    },
  });
  return within(span, run, (failure) => {
    const outcome = record.outcome ?? (failure === undefined ? 'processed' : 'failed');
    const metric: Attributes = {
      [attr.MESSAGING_SYSTEM]: record.system,
      [attr.MESSAGING_DESTINATION_NAME]: record.namespace,
      [attr.MESSAGING_OPERATION_NAME]: 'process',
    };
    span.setAttribute(attr.OUTCOME, outcome);
    if (failure !== undefined) {
      const errorType = attr.errorType(record.error ?? failure.error);
      span.setAttribute(attr.ERROR_TYPE, errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
      metric[attr.ERROR_TYPE] = errorType;
    }
    span.end();
    const instruments = source.instruments();
    instruments.processDuration.record(seconds(startedAt), metric);
    const where = `${record.system}\u0000${record.namespace}`;
    instruments.consumedMessages.increment(`${where}\u0000process\u0000${String(metric[attr.ERROR_TYPE] ?? '')}`, () => metric);
    if (outcome === 'dead_lettered') {
      instruments.deadLetters.increment(`${where}\u0000queued`, () => ({ [attr.MESSAGING_DESTINATION_NAME]: record.namespace, [attr.MESSAGING_SYSTEM]: record.system, [attr.MODE]: 'queued' }));
    }
  });
}

function traceStore<T>(source: TelemetrySource, cache: SeriesCache, record: StoreRecord, run: () => Promise<T>): Promise<T> {
  const startedAt = performance.now();
  const series = cache.store(record.store, record.operation, record.namespace);
  // The attributes set after the start, not passed to it: the SDK copies a start attributes object
  // twice (sanitising it before and after the sampler), and no sampler decides on a child span's.
  const span = source.tracer().startSpan(series.spanName, NO_ATTRIBUTES);
  span.setAttributes(series.attributes);
  // Not made active: a store call starts nothing of hookguard's own; a database client's own
  // instrumentation still parents its spans on the delivery span.
  return settled(run(), (failure, value) => {
    let metric = series.metric;
    if (failure !== undefined) {
      const errorType = attr.errorType(failure.error);
      span.setAttribute(attr.ERROR_TYPE, errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
      metric = { ...metric, [attr.ERROR_TYPE]: errorType };
    } else if (record.operation === 'claim' || record.operation === 'transaction') {
      const status = (value as { status?: unknown } | undefined)?.status;
      if (status === 'claimed' || status === 'completed' || status === 'processing') span.setAttribute(attr.CLAIM_STATUS, status);
    }
    span.end();
    source.instruments().storeDuration.record(seconds(startedAt), metric);
  });
}

function traceHandler<T>(source: TelemetrySource, record: HandlerRecord, run: () => Promise<T>): Promise<T> {
  const span = source.tracer().startSpan(`handler ${record.pattern}`, NO_ATTRIBUTES);
  span.setAttribute(attr.HANDLER_PATTERN, record.pattern);
  span.setAttribute(attr.ATTEMPT, record.attempt);
  if (record.name !== '') span.setAttribute(attr.CODE_FUNCTION_NAME, record.name);
  return within(span, run, (failure) => {
    if (failure !== undefined) {
      // The class only: an exception event would carry the message and stack, which may quote the payload.
      const errorType = attr.errorType(failure.error);
      span.setAttribute(attr.ERROR_TYPE, errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
    }
    span.end();
  });
}

/** Options of the INTERNAL child spans: shared, never mutated. */
const NO_ATTRIBUTES: SpanOptions = Object.freeze({ kind: SpanKind.INTERNAL });
