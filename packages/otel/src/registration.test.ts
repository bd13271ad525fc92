// Registration as applications do it, in any order: the instrumentation registered before the SDK
// records once the SDK is registered; disabled, it leaves the core's registry.
import { createReceiver, silentLogger, standardWebhooks } from '@hookguard/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { HookguardInstrumentation } from './index.js';
import { TELEMETRY_REGISTRY_KEY, telemetryRegistry } from './protocol.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function signed(id: string): { rawBody: string; headers: Record<string, string> } {
  const rawBody = JSON.stringify({ type: 'message.received', data: {} });
  const now = new Date();
  return { rawBody, headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': new Webhook(SECRET).sign(id, now, rawBody) } };
}

describe('HookguardInstrumentation registration', () => {
  it('registered before any SDK, records nothing, then traces every receiver once the SDK is registered, and stops when disabled', async () => {
    const instrumentation = new HookguardInstrumentation();
    const unregister = registerInstrumentations({ instrumentations: [instrumentation] });
    const registry = telemetryRegistry();
    expect((globalThis as Record<symbol, unknown>)[Symbol.for('hookguard.telemetry.v1')]).toBe(registry);
    expect(TELEMETRY_REGISTRY_KEY).toBe(Symbol.for('hookguard.telemetry.v1'));
    expect(registry.subscribers).toHaveLength(1);

    const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: silentLogger });
    const handled: string[] = [];
    receiver.on('message.received', (event) => void handled.push(event.id));
    expect((await receiver.receive(signed('evt_before_sdk'))).outcome).toBe('processed');

    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register();
    try {
      expect((await receiver.receive(signed('evt_with_sdk'))).outcome).toBe('processed');
      const names = exporter.getFinishedSpans().map((span) => span.name);
      expect(names).toEqual(['claim memory', 'handler message.received', 'complete memory', 'process standard-webhooks']);
      expect(exporter.getFinishedSpans().at(-1)!.attributes['messaging.message.id']).toBe('evt_with_sdk');

      unregister();
      expect(registry.subscribers).toHaveLength(0);
      exporter.reset();
      expect((await receiver.receive(signed('evt_disabled'))).outcome).toBe('processed');
      expect(exporter.getFinishedSpans()).toEqual([]);
      expect(handled).toEqual(['evt_before_sdk', 'evt_with_sdk', 'evt_disabled']);
    } finally {
      await provider.shutdown();
    }
  });
});
