import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

/**
 * Options of {@link HookguardInstrumentation}: OpenTelemetry's common instrumentation options, and
 * no other. A key not listed, or `enabled` that is not a boolean, throws
 * `ERR_HOOKGUARD_INVALID_OPTIONS` from the constructor and from `setConfig()`.
 *
 * @example
 * ```ts
 * const instrumentation = new HookguardInstrumentation({ enabled: false }); // subscribes on enable()
 * ```
 */
export type HookguardInstrumentationConfig = InstrumentationConfig;

// Typed from InstrumentationConfig itself: a key a later @opentelemetry/instrumentation adds to the
// base config fails the type check here until it is listed, instead of being refused at run time.
const CONFIG_OPTIONS: Readonly<Record<keyof Required<HookguardInstrumentationConfig>, true>> = { enabled: true };

/**
 * The core's `WebhookError` with code `ERR_HOOKGUARD_INVALID_OPTIONS`, restated: this package
 * imports no copy of `@hookguard/core` (see `protocol.ts`). `isWebhookError()` of any copy of the
 * core recognises it by its name, code and status; `instanceof WebhookError` does not.
 */
class InvalidOptionsError extends Error {
  override readonly name = 'WebhookError';
  readonly code = 'ERR_HOOKGUARD_INVALID_OPTIONS';
  readonly status = 500;
}

/** A value as a message shows it: strings quoted, so `'false'` is told apart from `false`. */
function shown(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return String(value);
  return Array.isArray(value) ? 'an array' : typeof value;
}

/**
 * Checks `config` as `refuseUnknownOptions` of `@hookguard/core` does (same wording), then the
 * values, and returns a copy without the options set to `undefined` (not given, so their
 * defaults apply, as everywhere else in hookguard). `where` starts the messages.
 *
 * @example
 * ```ts
 * super.setConfig(checkConfig('instrumentation.setConfig()', config));
 * ```
 */
export function checkConfig(where: string, config: HookguardInstrumentationConfig | undefined): HookguardInstrumentationConfig {
  if (config === undefined) return {};
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new InvalidOptionsError(`${where}: the config must be an object such as { enabled: false }; received ${shown(config)}.`);
  }
  const names = Object.keys(CONFIG_OPTIONS);
  for (const name of Object.keys(config)) {
    if (Object.hasOwn(CONFIG_OPTIONS, name)) continue;
    const lower = name.toLowerCase();
    const near = names.find((candidate) => {
      const other = candidate.toLowerCase();
      return other === lower || other.startsWith(lower) || lower.startsWith(other);
    });
    throw new InvalidOptionsError(
      `${where}: unknown option '${name}'.${near === undefined ? '' : ` Did you mean '${near}'?`} The options are ${names.join(', ')}.`,
    );
  }
  const { enabled } = config as { enabled?: unknown };
  if (enabled !== undefined && typeof enabled !== 'boolean') {
    throw new InvalidOptionsError(
      `${where}: enabled must be true or false (false: nothing is traced until enable() or registerInstrumentations()); received ${shown(enabled)}.`,
    );
  }
  const checked = { ...config };
  if (enabled === undefined) delete checked.enabled;
  return checked;
}
