// One Fastify receiver in its own process, in one telemetry setting (argv[2]):
//   off     no instrumentation package loaded
//   loaded  @hookguard/otel loaded and its instrumentation registered, no SDK (the API's no-ops)
//   sdk     the OpenTelemetry SDK (tracer and meter providers) with exporters that drop everything
//   sdk-only  the same SDK without @hookguard/otel: what the SDK itself costs (its context manager
//             registered, never entered)
//   sdk-context  sdk-only with the context manager entered once, as any instrumentation that makes a
//             span active does (the HTTP one on every request): on Node 20 its AsyncLocalStorage then
//             runs async hooks on every promise and async resource of the process, whoever entered it
//   sdk-<stand-in>  (sdk-pass, sdk-wrap, sdk-with, sdk-span, sdk-delivery, sdk-spans, sdk-histograms,
//             sdk-bare) the same SDK with a stand-in subscriber of stand-in-subscribers.ts instead of
//             @hookguard/otel: one part of its work each
//   BENCH_BSP_BATCH=n in the environment sets the batch span processor's export batch size
//   busy      off, its handler spinning BENCH_BUSY_US µs (10 unless set) per delivery: what any CPU
//             added per delivery costs over HTTP on this machine, beside what it costs in process
// Each setting needs a process of its own: telemetry registration is process-wide.
import { createReceiver, MemoryStore, standardWebhooks } from '@hookguard/core';
import { hookguard } from '@hookguard/fastify';
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { EVENT_TYPE, SECRET } from '../http/deliveries.js';
import { STAND_INS, standIn, subscribe, type StandInName } from './stand-in-subscribers.js';

export type TelemetrySetting = 'off' | 'busy' | 'loaded' | 'sdk' | 'sdk-only' | 'sdk-context' | `sdk-${StandInName}`;

/** BENCH_BSP_BATCH=n: the batch processor's export batch size (the SDK's default, 512, otherwise). */
function batchOptions(): { maxExportBatchSize?: number } {
  const size = process.env['BENCH_BSP_BATCH'];
  return size === undefined ? {} : { maxExportBatchSize: Number(size) };
}

async function setUpTelemetry(setting: TelemetrySetting): Promise<void> {
  if (setting === 'off' || setting === 'busy') return;
  const { HookguardInstrumentation } = await import('@hookguard/otel');
  const { registerInstrumentations } = await import('@opentelemetry/instrumentation');
  if (setting === 'loaded') {
    registerInstrumentations({ instrumentations: [new HookguardInstrumentation()] });
    return;
  }
  // Exporters that drop what they get: the cost measured is the SDK's, not an exporter's network.
  const { startDroppingSdk } = await import('./dropping-sdk.js');
  const { tracerProvider, meterProvider } = startDroppingSdk(batchOptions());
  registerInstrumentations({ instrumentations: setting === 'sdk' ? [new HookguardInstrumentation()] : [], tracerProvider, meterProvider });
  const part = STAND_INS.find((name) => setting === `sdk-${name}`);
  if (part !== undefined) subscribe(standIn(part, tracerProvider.getTracer('bench'), meterProvider.getMeter('bench')));
  if (setting === 'sdk-context') {
    const { context, createContextKey, ROOT_CONTEXT } = await import('@opentelemetry/api');
    context.with(ROOT_CONTEXT.setValue(createContextKey('bench.entered'), true), () => undefined);
  }
}

const setting = (process.argv[2] ?? 'off') as TelemetrySetting;
await setUpTelemetry(setting);
const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), store: new MemoryStore(), warnings: { WARN_HOOKGUARD_STORE_NOT_SHARED: false } });
let processed = 0;
const busyMicros = setting === 'busy' ? Number(process.env['BENCH_BUSY_US'] ?? 10) : 0;
receiver.on(EVENT_TYPE, () => {
  processed++;
  if (busyMicros > 0) {
    const until = performance.now() + busyMicros / 1000;
    while (performance.now() < until);
  }
});
const app = Fastify();
await app.register(hookguard, { receiver, path: '/webhooks' });
await app.listen({ port: 0, host: '127.0.0.1' });
process.send?.({ type: 'ready', port: (app.server.address() as AddressInfo).port });
process.on('message', (message: { type: string }) => {
  if (message.type === 'usage') {
    const cpu = process.cpuUsage();
    process.send?.({ type: 'usage', processed, cpuMicros: cpu.user + cpu.system });
  }
});
process.on('disconnect', () => void app.close().finally(() => process.exit(0)));
