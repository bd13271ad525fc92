// Registration as applications do it, in any order: the instrumentation registered before the SDK
// records once the SDK is registered; disabled, it leaves the core's registry. And its config,
// checked as every other hookguard option is, in the constructor and in setConfig alike.
import { createReceiver, isWebhookError, silentLogger, standardWebhooks } from '@hookguard/core';
import { registerInstrumentations, type InstrumentationConfig } from '@opentelemetry/instrumentation';
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

function thrownBy(build: () => unknown): unknown {
  try {
    build();
  } catch (error) {
    return error;
  }
  return undefined;
}

// What is wrong with each config, and the message it gets after `<where>: `.
const REFUSED: [string, unknown, RegExp][] = [
  ['a misspelt key', { enable: false }, /^unknown option 'enable'\. Did you mean 'enabled'\? The options are enabled\.$/],
  ["another instrumentation's option", { requireParentSpan: true }, /^unknown option 'requireParentSpan'\. The options are enabled\.$/],
  ['enabled as a string', { enabled: 'false' }, /^enabled must be true or false .*; received the string "false"\.$/],
  ['enabled as a number', { enabled: 0 }, /^enabled must be true or false .*; received 0\.$/],
  ['enabled as null', { enabled: null }, /^enabled must be true or false .*; received null\.$/],
  ['a config that is a string', 'enabled', /^the config must be an object such as \{ enabled: false \}; received the string "enabled"\.$/],
  ['a config that is null', null, /^the config must be an object such as \{ enabled: false \}; received null\.$/],
  ['a config that is an array', [{ enabled: false }], /^the config must be an object such as \{ enabled: false \}; received an array\.$/],
];

function expectRefusal(error: unknown, where: string, message: RegExp): void {
  expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
  expect(error).toMatchObject({ name: 'WebhookError', status: 500 });
  const text = (error as Error).message;
  expect(text.startsWith(`${where}: `), text).toBe(true);
  expect(text.slice(where.length + 2)).toMatch(message);
}

describe('HookguardInstrumentation config', () => {
  it.each(REFUSED)('refuses %s at construction with ERR_HOOKGUARD_INVALID_OPTIONS, subscribing nothing', (_, config, message) => {
    const before = telemetryRegistry().subscribers.length;
    expectRefusal(
      thrownBy(() => new HookguardInstrumentation(config as InstrumentationConfig)),
      'new HookguardInstrumentation()',
      message,
    );
    expect(telemetryRegistry().subscribers).toHaveLength(before);
  });

  it.each(REFUSED)('refuses %s in setConfig as the constructor does, keeping the config it had', (_, config, message) => {
    const instrumentation = new HookguardInstrumentation({ enabled: false });
    expectRefusal(
      thrownBy(() => instrumentation.setConfig(config as InstrumentationConfig)),
      'instrumentation.setConfig()',
      message,
    );
    expect(instrumentation.getConfig()).toEqual({ enabled: false });
  });

  it("takes every option of OpenTelemetry's InstrumentationConfig, in the constructor and again in setConfig", () => {
    // Typed Required<…>: a key added to InstrumentationConfig fails the type check until it is listed here.
    const everyOption: Required<InstrumentationConfig> = { enabled: false };
    const instrumentation = new HookguardInstrumentation(everyOption);
    expect(instrumentation.getConfig()).toEqual(everyOption);
    expect(instrumentation.isEnabled()).toBe(false);
    instrumentation.setConfig(instrumentation.getConfig());
    instrumentation.setConfig({ ...instrumentation.getConfig(), enabled: true });
    expect(instrumentation.getConfig()).toEqual({ enabled: true });
    instrumentation.setConfig({});
    expect(instrumentation.getConfig()).toEqual({ enabled: true });
  });

  it('is enabled by default, with no config, an empty one, or enabled: undefined (an option not given), and off with enabled: false', () => {
    const before = telemetryRegistry().subscribers.length;
    const enabled = [
      new HookguardInstrumentation(),
      new HookguardInstrumentation({}),
      new HookguardInstrumentation({ enabled: true }),
      new HookguardInstrumentation({ enabled: undefined } as unknown as InstrumentationConfig),
    ];
    try {
      for (const instrumentation of enabled) {
        expect(instrumentation.getConfig()).toEqual({ enabled: true });
        expect(instrumentation.isEnabled()).toBe(true);
      }
      expect(telemetryRegistry().subscribers).toHaveLength(before + enabled.length);
      const off = new HookguardInstrumentation({ enabled: false });
      expect(off.isEnabled()).toBe(false);
      expect(telemetryRegistry().subscribers).toHaveLength(before + enabled.length);
    } finally {
      for (const instrumentation of enabled) instrumentation.disable();
    }
    expect(telemetryRegistry().subscribers).toHaveLength(before);
  });
});
