// The instrumentation's CPU cost per delivery, in one process, with no HTTP around it: receive()
// called directly (memory store, 1 KB Standard Webhooks deliveries, 32 at a time) in batches that
// alternate between the instrumentation enabled and disabled (the SDK registered throughout:
// tracer and meter providers whose exporters drop everything). Less noisy than the HTTP rounds of
// otel-overhead.ts, for comparing changes to @hookguard/otel; the figure of record is that script's.
//
//   npx tsx src/otel/otel-cost.ts [--batches 10] [--deliveries 5000]
import { createReceiver, MemoryStore, standardWebhooks } from '@hookguard/core';
import { HookguardInstrumentation } from '@hookguard/otel';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { parseArgs } from 'node:util';
import { BODY, DeliveryPool, EVENT_TYPE, SECRET } from '../http/deliveries.js';

const { values } = parseArgs({ options: { batches: { type: 'string', default: '10' }, deliveries: { type: 'string', default: '5000' } } });
const batches = Number(values.batches);
const perBatch = Number(values.deliveries);

const dropSpans = { export: (_spans: unknown, done: (result: { code: 0 }) => void) => done({ code: 0 }), shutdown: async () => undefined };
class NeverRead extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}
const tracerProvider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropSpans)] });
tracerProvider.register();
const meterProvider = new MeterProvider({ readers: [new NeverRead()] });
const instrumentation = new HookguardInstrumentation();
registerInstrumentations({ instrumentations: [instrumentation], tracerProvider, meterProvider });

const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), store: new MemoryStore(), warnings: { WARN_HOOKGUARD_STORE_NOT_SHARED: false } });
receiver.on(EVENT_TYPE, () => {});
const pool = new DeliveryPool();

/** CPU µs per delivery of one batch. */
async function batch(): Promise<number> {
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
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const on: number[] = [];
const off: number[] = [];
instrumentation.enable();
await batch();
instrumentation.disable();
await batch();
for (let round = 0; round < batches; round++) {
  instrumentation.enable();
  on.push(await batch());
  instrumentation.disable();
  off.push(await batch());
}
console.log(`disabled ${median(off).toFixed(1)} µs CPU per delivery, enabled ${median(on).toFixed(1)} µs: the instrumentation adds ${(median(on) - median(off)).toFixed(1)} µs (medians of ${batches} batches of ${perBatch})`);
