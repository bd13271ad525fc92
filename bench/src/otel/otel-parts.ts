// What each part of the instrumentation's work costs the SDK, in one process, with no HTTP around
// it: the deliveries of otel-cost.ts (receive() called directly, memory store, 1 KB Standard
// Webhooks deliveries, 32 at a time), each batch through one stand-in subscriber of
// stand-in-subscribers.ts (or `otel`: @hookguard/otel itself), compared with a batch through none
// run just before it. The SDK is the one of otel-cost.ts (exporters dropping everything), its
// context manager entered before the first batch, so every batch pays its async hooks alike.
//
//   npx tsx src/otel/otel-parts.ts [--parts pass,wrap,with,span,delivery,spans,histograms,bare,otel] [--batches 8] [--deliveries 4000]
//     [--alone <part>|none]  (that part's batches only, for a CPU profile: node --import tsx --cpu-prof …)
import { HookguardInstrumentation } from '@hookguard/otel';
import { ROOT_CONTEXT, context, createContextKey } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { parseArgs } from 'node:util';
import { median } from '../report/statistics.js';
import { receiveBatches, startDroppingSdk } from './dropping-sdk.js';
import { STAND_INS, standIn, subscribe, type StandInName } from './stand-in-subscribers.js';

const { values } = parseArgs({
  options: { alone: { type: 'string' }, parts: { type: 'string', default: [...STAND_INS, 'otel'].join(',') }, batches: { type: 'string', default: '8' }, deliveries: { type: 'string', default: '4000' } },
});
const batches = Number(values.batches);
const perBatch = Number(values.deliveries);

const { tracerProvider, meterProvider } = startDroppingSdk();
const instrumentation = new HookguardInstrumentation();
registerInstrumentations({ instrumentations: [instrumentation], tracerProvider, meterProvider });
instrumentation.disable();
context.with(ROOT_CONTEXT.setValue(createContextKey('bench.entered'), true), () => undefined);

const tracer = tracerProvider.getTracer('bench');
const meter = meterProvider.getMeter('bench');
const batch = receiveBatches(perBatch);

/** Runs one batch with `part` subscribed (or none), leaving the registry as it found it. */
async function batchWith(part: string | undefined): Promise<number> {
  if (part === 'otel') instrumentation.enable();
  const unsubscribe = part !== undefined && part !== 'otel' ? subscribe(standIn(part as StandInName, tracer, meter)) : undefined;
  try {
    return await batch();
  } finally {
    if (part === 'otel') instrumentation.disable();
    unsubscribe?.();
  }
}

if (values.alone !== undefined) {
  // Only this part's batches ('none' for no subscriber): for a CPU profile of one part (node --cpu-prof).
  const part = values.alone === 'none' ? undefined : values.alone;
  const spent: number[] = [];
  for (let round = 0; round <= batches; round++) spent.push(await batchWith(part));
  console.log(`${values.alone}: ${median(spent.slice(1)).toFixed(1)} µs CPU per delivery (median of ${batches} batches of ${perBatch})`);
  process.exit(0);
}
const parts = values.parts.split(',');
const added = new Map<string, number[]>(parts.map((part) => [part, []]));
for (const part of parts) await batchWith(part);
await batchWith(undefined);
for (let round = 0; round < batches; round++) {
  // Each part's batch is compared with a batch through no subscriber run just before it.
  for (const part of parts) {
    const without = await batchWith(undefined);
    added.get(part)!.push((await batchWith(part)) - without);
  }
}
console.log(`CPU µs added per delivery (medians of ${batches} pairs of batches of ${perBatch}; the SDK's context manager entered throughout):`);
for (const part of parts) console.log(`  ${part.padEnd(11)} ${median(added.get(part)!).toFixed(1)}`);
