// What the parent tells an app process (app.ts) to be, and what the app process reports back over
// IPC. Shared by both sides, so the two can never disagree on a field.

/** The endpoint secret every app process verifies with and every sender signs with. */
export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
/** Dedup keys are `<namespace>:<event id>`. */
export const NAMESPACE = 'hookguard-test';
/** The one event type the app processes handle. */
export const EVENT_TYPE = 'test.event';

export type Framework = 'express' | 'hono' | 'fastify';

export type StoreConfig =
  | { kind: 'redis'; port: number; prefix: string; commandTimeoutMs?: number }
  | {
      kind: 'postgres';
      connection: { host: string; port: number; user: string; database: string };
      schema: string;
      /** Set on every connection of the store's pool, so a test can find (and terminate) them. */
      applicationName: string;
      statementTimeoutMs?: number;
      poolMax?: number;
    };

/**
 * How the handler makes its effect exactly once:
 * - `once`: the effect runs inside `ctx.once('effect:<id>')` and is counted in the store's
 *   database (a Redis hash, or a Postgres table);
 * - `transaction`: the effect is a row inserted through `ctx.db` in the store's transaction
 *   (Postgres only), committed together with the completion record;
 * - `none`: no effect; only handler runs are reported.
 */
export type EffectMode = 'once' | 'transaction' | 'none';

export type AppConfig = {
  /** Shown in reports and failures, e.g. `p0`. */
  name: string;
  framework: Framework;
  store: StoreConfig;
  leaseMs: number;
  maxAttempts?: number;
  effect: EffectMode;
  /** Event ids whose handler throws on attempt 1, after its effect. */
  failFirst?: readonly string[];
  /** Event ids whose handler always throws (poison events). */
  poison?: readonly string[];
  /** Event ids whose handler blocks until the process dies (after the effect in `transaction` mode, before it in `once` mode). */
  block?: readonly string[];
  /**
   * Once a handler blocks, hold every other handler before it starts an effect and report
   * `quiescent` when no effect is between being applied and being recorded by `ctx.once`: the
   * one window `ctx.once` cannot close against a crash (see docs/reliability.md).
   * @default false
   */
  quiesceOnBlock?: boolean;
  /** Event ids whose handler sleeps this many milliseconds before its effect. */
  sleepMs?: Readonly<Record<string, number>>;
  /** Every handler sleeps this many milliseconds before its effect (unless `sleepMs` says otherwise). */
  handlerDelayMs?: number;
};

/** What an app process reports to its parent. */
export type AppMessage =
  | { type: 'listening'; port: number }
  | { type: 'handler'; id: string; attempt: number }
  | { type: 'blocked'; id: string }
  | { type: 'quiescent' }
  | { type: 'aborted'; id: string; code: string | undefined }
  | { type: 'dead-letter'; id: string }
  | {
      type: 'delivery';
      id: string | undefined;
      outcome: string;
      status: number;
      attempt: number | undefined;
      leaseLost: boolean;
      dedupSkipped: boolean;
      code: string | undefined;
    }
  | { type: 'log'; level: 'warn' | 'error'; message: string; code: string | undefined };

/** The environment variable that carries an {@link AppConfig} as JSON to the app process. */
export const APP_CONFIG_ENV = 'HOOKGUARD_TEST_APP';
