import { ProxyTracerProvider, createNoopMeter, trace, type TracerProvider } from '@opentelemetry/api';
import { InstrumentationBase, type InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { checkConfig, type HookguardInstrumentationConfig } from './instrumentation-config.js';
import { createCounters, createInstruments, type Counters, type Instruments } from './instruments.js';
import { telemetryRegistry, type TelemetrySubscriber } from './protocol.js';
import { createSpanSubscriber } from './span-subscriber.js';

export type { HookguardInstrumentationConfig } from './instrumentation-config.js';

const PACKAGE_NAME = '@hookguard/otel';
const PACKAGE_VERSION = '0.1.0';

type State = {
  subscriber: TelemetrySubscriber | undefined;
  instruments: Instruments | undefined;
  counters: Counters;
  /** The meter is the API's no-op (no MeterProvider was given or registered before it was taken). */
  meterIdle: boolean;
  tracerProvider: TracerProvider | undefined;
};

// What an unset global ProxyTracerProvider delegates to: the API's no-op provider.
const NOOP_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();

/** Whether spans from `provider` are the API's no-ops: a global proxy with no SDK behind it yet. */
function tracerIdle(provider: TracerProvider): boolean {
  return provider instanceof ProxyTracerProvider && provider.getDelegate() === NOOP_TRACER_PROVIDER;
}

// Kept outside the instance: InstrumentationBase's constructor calls enable() and
// _updateMetricInstruments() before this class's own fields would be initialised.
const states = new WeakMap<HookguardInstrumentation, State>();

function stateOf(instrumentation: HookguardInstrumentation): State {
  let state = states.get(instrumentation);
  if (state === undefined) {
    state = { subscriber: undefined, instruments: undefined, counters: createCounters(), meterIdle: false, tracerProvider: undefined };
    states.set(instrumentation, state);
  }
  return state;
}

/**
 * OpenTelemetry instrumentation for hookguard: a CONSUMER `process <namespace>` span per delivery
 * (child of the HTTP server span), spans for store operations and handlers, queued jobs linked to
 * the request that accepted them, and the messaging metrics. It patches no module: every copy of
 * `@hookguard/core` in the process publishes to a registry this instrumentation subscribes to, so
 * every receiver is traced with no change to `createReceiver` calls, and nothing is done (or
 * allocated) for telemetry while it is disabled. Its config takes OpenTelemetry's common options
 * (`enabled`) and refuses any other, or an `enabled` that is not a boolean, with
 * `ERR_HOOKGUARD_INVALID_OPTIONS`, in the constructor and in `setConfig()` alike.
 *
 * @example
 * ```ts
 * import { registerInstrumentations } from '@opentelemetry/instrumentation';
 * import { HookguardInstrumentation } from '@hookguard/otel';
 *
 * registerInstrumentations({ instrumentations: [new HookguardInstrumentation()] });
 * ```
 */
export class HookguardInstrumentation extends InstrumentationBase<HookguardInstrumentationConfig> {
  constructor(config: HookguardInstrumentationConfig = {}) {
    // Checked here as well as in setConfig() (which InstrumentationBase's constructor calls) so that
    // a message names the constructor the mistake was made in.
    super(PACKAGE_NAME, PACKAGE_VERSION, checkConfig('new HookguardInstrumentation()', config));
  }

  /**
   * Replaces the config, checked as the constructor's is. As with every OpenTelemetry
   * instrumentation, `enabled` is read at construction: call `enable()` or `disable()` afterwards.
   *
   * @example
   * ```ts
   * instrumentation.setConfig({ ...instrumentation.getConfig(), enabled: false });
   * ```
   */
  override setConfig(config: HookguardInstrumentationConfig): void {
    super.setConfig(checkConfig('instrumentation.setConfig()', config));
  }

  protected override init(): InstrumentationModuleDefinition[] {
    return [];
  }

  protected override _updateMetricInstruments(): void {
    const state = stateOf(this);
    state.instruments = createInstruments(this.meter, state.counters);
    state.meterIdle = this.meter === createNoopMeter();
  }

  override setTracerProvider(tracerProvider: TracerProvider): void {
    super.setTracerProvider(tracerProvider);
    stateOf(this).tracerProvider = tracerProvider;
  }

  override enable(): void {
    super.enable();
    const state = stateOf(this);
    if (state.subscriber !== undefined) return;
    const subscriber = createSpanSubscriber({
      tracer: () => this.tracer,
      // Loaded with no SDK behind it, the instrumentation only hands each run back: no span, no context.
      idle: () => state.meterIdle && tracerIdle(state.tracerProvider ?? trace.getTracerProvider()),
      instruments: () => (state.instruments ??= createInstruments(this.meter, state.counters)),
    });
    state.subscriber = subscriber;
    const registry = telemetryRegistry();
    registry.subscribers = [...registry.subscribers, subscriber];
  }

  override disable(): void {
    super.disable();
    const state = stateOf(this);
    const { subscriber } = state;
    if (subscriber === undefined) return;
    state.subscriber = undefined;
    const registry = telemetryRegistry();
    registry.subscribers = registry.subscribers.filter((other) => other !== subscriber);
  }
}
