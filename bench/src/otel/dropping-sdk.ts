// The OpenTelemetry SDK every telemetry benchmark measures against, and the in-process batches of
// receive() calls that otel-cost.ts and otel-parts.ts time through it.
import { createReceiver, MemoryStore, standardWebhooks } from '@hookguard/core';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BODY, DeliveryPool, EVENT_TYPE, SECRET } from '../http/deliveries.js';

class NeverRead extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/**
 * Tracer and meter providers whose exporters drop what they get (the cost measured is the SDK's,
 * not an exporter's network); the tracer provider is registered as the global one.
 */
export function startDroppingSdk(spanBatch: { maxExportBatchSize?: number } = {}): { tracerProvider: NodeTracerProvider; meterProvider: MeterProvider } {
  const dropSpans = { export: (_spans: unknown, done: (result: { code: 0 }) => void) => done({ code: 0 }), shutdown: async () => undefined };
  const tracerProvider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropSpans, spanBatch)] });
  tracerProvider.register();
  return { tracerProvider, meterProvider: new MeterProvider({ readers: [new NeverRead()] }) };
}

/**
 * A receiver (memory store, one handler) and the function that sends it `perBatch` new 1 KB
 * Standard Webhooks deliveries, 32 at a time, and answers the CPU µs per delivery they took.
 */
export function receiveBatches(perBatch: number): () => Promise<number> {
  const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), store: new MemoryStore(), warnings: { WARN_HOOKGUARD_STORE_NOT_SHARED: false } });
  receiver.on(EVENT_TYPE, () => {});
  const pool = new DeliveryPool();
  return async () => {
    pool.refill(perBatch);
    const headers = Array.from({ length: perBatch }, () => pool.next());
    let next = 0;
    const before = process.cpuUsage();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < headers.length) {
          const result = await receiver.receive({ rawBody: BODY, headers: headers[next++]! });
          if (result.status !== 200) throw new Error(`answered ${result.status}`);
        }
      }),
    );
    const used = process.cpuUsage(before);
    return (used.user + used.system) / perBatch;
  };
}
