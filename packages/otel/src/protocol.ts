// The records @hookguard/core publishes (packages/core/src/telemetry/records.ts), restated here so
// this package imports no copy of the core: every copy in the process publishes to one registry on
// globalThis, whichever version it is. Only the fields this package reads are listed.

export type ProcessingMode = 'inline' | 'transactional' | 'queued';

/** The part of the core's `DeliveryReport` read here. */
export type DeliveryReport = {
  readonly outcome: string;
  readonly status: number;
  readonly id: string | undefined;
  readonly type: string | undefined;
  readonly attempt: number | undefined;
  readonly dedupSkipped: boolean;
  readonly leaseLost: boolean;
  readonly error?: { readonly code: string; readonly cause?: unknown } | undefined;
};

export type DeliveryRecord = {
  readonly kind: 'delivery';
  readonly namespace: string;
  readonly system: string;
  readonly store: string;
  readonly mode: ProcessingMode | undefined;
  readonly verificationFailed: boolean;
  readonly report: DeliveryReport | undefined;
};

export type JobRecord = {
  readonly kind: 'job';
  readonly namespace: string;
  readonly system: string;
  readonly store: string;
  readonly queue: string;
  readonly id: string;
  readonly type: string;
  readonly attempt: number;
  readonly lastAttempt: boolean;
  readonly trace: Readonly<Record<string, string>> | undefined;
  readonly outcome: 'processed' | 'failed' | 'dead_lettered' | undefined;
  readonly error: unknown;
};

export type StoreRecord = {
  readonly kind: 'store';
  readonly store: string;
  readonly operation: 'claim' | 'complete' | 'release' | 'transaction';
  readonly namespace: string;
};

export type HandlerRecord = {
  readonly kind: 'handler';
  readonly pattern: string;
  readonly name: string;
  readonly attempt: number;
};

export type TelemetryRecord = DeliveryRecord | JobRecord | StoreRecord | HandlerRecord;

export type TelemetrySubscriber = {
  trace<T>(record: TelemetryRecord, run: () => Promise<T>): Promise<T>;
  inject?(carrier: Record<string, string>): void;
  sleeping?(): boolean;
};

export type TelemetryRegistry = {
  readonly version: 1;
  subscribers: readonly TelemetrySubscriber[];
};

/** The core's registry key on globalThis (`packages/core/src/telemetry/registry.ts`). */
export const TELEMETRY_REGISTRY_KEY: unique symbol = Symbol.for('hookguard.telemetry.v1') as never;

/** The process-wide registry, created here when no copy of the core has loaded yet. */
export function telemetryRegistry(): TelemetryRegistry {
  const holder = globalThis as { [TELEMETRY_REGISTRY_KEY]?: TelemetryRegistry };
  return (holder[TELEMETRY_REGISTRY_KEY] ??= { version: 1, subscribers: [] });
}
