// One Fastify receiver in its own process, in one telemetry setting (argv[2]):
//   off     no instrumentation package loaded
//   loaded  @hookguard/otel loaded and its instrumentation registered, no SDK (the API's no-ops)
//   sdk     the OpenTelemetry SDK (tracer and meter providers) with exporters that drop everything
//   sdk-only  the same SDK without @hookguard/otel: what the SDK itself costs (its context manager
//             registered, never entered)
//   sdk-context  sdk-only with the context manager entered once, as any instrumentation that makes a
//             span active does (the HTTP one on every request): on Node 20 its AsyncLocalStorage then
//             runs async hooks on every promise and async resource of the process, whoever entered it
// Each setting needs a process of its own: telemetry registration is process-wide.
import { createReceiver, MemoryStore, standardWebhooks } from '@hookguard/core';
import { hookguard } from '@hookguard/fastify';
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { EVENT_TYPE, SECRET } from '../http/deliveries.js';

export type TelemetrySetting = 'off' | 'loaded' | 'sdk' | 'sdk-only' | 'sdk-context';

async function setUpTelemetry(setting: TelemetrySetting): Promise<void> {
  if (setting === 'off') return;
  const { HookguardInstrumentation } = await import('@hookguard/otel');
  const { registerInstrumentations } = await import('@opentelemetry/instrumentation');
  if (setting === 'loaded') {
    registerInstrumentations({ instrumentations: [new HookguardInstrumentation()] });
    return;
  }
  const { BatchSpanProcessor, NodeTracerProvider } = await import('@opentelemetry/sdk-trace-node');
  const { MeterProvider, MetricReader } = await import('@opentelemetry/sdk-metrics');
  // Exporters that drop what they get: the cost measured is the SDK's, not an exporter's network.
  const dropSpans = { export: (_spans: unknown, done: (result: { code: 0 }) => void) => done({ code: 0 }), shutdown: async () => undefined };
  class NeverRead extends MetricReader {
    protected override async onForceFlush(): Promise<void> {}
    protected override async onShutdown(): Promise<void> {}
  }
  const tracerProvider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropSpans)] });
  tracerProvider.register();
  const meterProvider = new MeterProvider({ readers: [new NeverRead()] });
  registerInstrumentations({ instrumentations: setting === 'sdk' ? [new HookguardInstrumentation()] : [], tracerProvider, meterProvider });
  if (setting === 'sdk-context') {
    const { context, createContextKey, ROOT_CONTEXT } = await import('@opentelemetry/api');
    context.with(ROOT_CONTEXT.setValue(createContextKey('bench.entered'), true), () => undefined);
  }
}

const setting = (process.argv[2] ?? 'off') as TelemetrySetting;
await setUpTelemetry(setting);
const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), store: new MemoryStore(), warnings: { WARN_HOOKGUARD_STORE_NOT_SHARED: false } });
let processed = 0;
receiver.on(EVENT_TYPE, () => {
  processed++;
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
