// The instrumentation's CPU cost per delivery, in one process, with no HTTP around it: receive()
// called directly (memory store, 1 KB Standard Webhooks deliveries, 32 at a time) in batches that
// alternate between the instrumentation enabled and disabled (the SDK registered throughout:
// tracer and meter providers whose exporters drop everything). Less noisy than the HTTP rounds of
// otel-overhead.ts, for comparing changes to @hookguard/otel; the figure of record is that script's.
//
//   npx tsx src/otel/otel-cost.ts [--batches 10] [--deliveries 5000]
import { HookguardInstrumentation } from '@hookguard/otel';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { parseArgs } from 'node:util';
import { median } from '../report/statistics.js';
import { receiveBatches, startDroppingSdk } from './dropping-sdk.js';

const { values } = parseArgs({ options: { batches: { type: 'string', default: '10' }, deliveries: { type: 'string', default: '5000' } } });
const batches = Number(values.batches);
const perBatch = Number(values.deliveries);

const { tracerProvider, meterProvider } = startDroppingSdk();
const instrumentation = new HookguardInstrumentation();
registerInstrumentations({ instrumentations: [instrumentation], tracerProvider, meterProvider });
const batch = receiveBatches(perBatch);

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
