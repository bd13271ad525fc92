import type { ReceiverOptions, ResolvedReceiverOptions, WarningCode } from './types.js';

type Environment = Record<string, string | undefined>;

function environment(): Environment {
  // Read through globalThis: the core imports no runtime module, and Workers have no process.
  return (globalThis as { process?: { env?: Environment } }).process?.env ?? {};
}

/** Signs that this process is one of several serving the same endpoint. */
export function severalProcessesLikely(env?: Environment): string | undefined {
  try {
    const vars = env ?? environment();
    if (vars['NODE_UNIQUE_ID'] !== undefined) return 'this is a node:cluster worker';
    if (vars['NODE_APP_INSTANCE'] !== undefined || vars['pm_id'] !== undefined) return 'this runs under pm2';
    if (Number(vars['WEB_CONCURRENCY'] ?? '1') > 1) return `WEB_CONCURRENCY is ${vars['WEB_CONCURRENCY']}`;
    if (vars['KUBERNETES_SERVICE_HOST'] !== undefined) return 'this runs on Kubernetes, usually with several replicas';
    if (vars['DYNO'] !== undefined) return 'this runs on a Heroku dyno';
    return undefined;
  } catch {
    // Deno refuses environment reads without --allow-env (NotCapable): no signal then, and a
    // receiver must still be creatable.
    return undefined;
  }
}

/** Logs the one-time configuration warnings, each with a stable code and how to fix or silence it. */
export function warnAboutSetup(options: ResolvedReceiverOptions, switches: ReceiverOptions['warnings']): void {
  const enabled = (code: WarningCode): boolean => switches?.[code] !== false;
  if (options.verifier.unsafe === true && enabled('WARN_HOOKGUARD_UNSAFE_NO_VERIFICATION')) {
    options.logger.warn(
      { code: 'WARN_HOOKGUARD_UNSAFE_NO_VERIFICATION' },
      'unsafeNoVerification() accepts unsigned requests: anyone can send events and mark ids as seen. Use a real verifier outside local experiments.',
    );
  }
  // Stores with a fixed window of their own (Bloom) say so with a numeric `retentionMs`.
  const storeRetention = (options.store as { retentionMs?: unknown }).retentionMs;
  if (typeof storeRetention === 'number' && storeRetention < options.retentionMs && enabled('WARN_HOOKGUARD_RETENTION_SHORTER_THAN_RECEIVER')) {
    options.logger.warn(
      { code: 'WARN_HOOKGUARD_RETENTION_SHORTER_THAN_RECEIVER', store: options.store.name, storeRetentionMs: storeRetention, retentionMs: options.retentionMs },
      `The '${options.store.name}' store remembers ids for ${storeRetention} ms, less than the receiver's retentionMs of ${options.retentionMs} ms: ` +
        "retries later than that run again. Size the store's retentionMs to the provider's retry horizon.",
    );
  }
  warnAboutReplayWindow(options, typeof storeRetention === 'number' ? storeRetention : undefined, enabled);
  const reason = options.store.shared ? undefined : severalProcessesLikely();
  if (reason !== undefined && enabled('WARN_HOOKGUARD_STORE_NOT_SHARED')) {
    options.logger.warn(
      { code: 'WARN_HOOKGUARD_STORE_NOT_SHARED', store: options.store.name, reason },
      `The '${options.store.name}' store is private to this process, and ${reason}: a redelivery reaching another process runs again. ` +
        'Use @hookguard/redis or @hookguard/postgres, or silence with warnings: { WARN_HOOKGUARD_STORE_NOT_SHARED: false }.',
    );
  }
}

/**
 * A signed delivery stays valid for the verifier's tolerance on either side of its timestamp, so a
 * capture can be replayed up to twice the tolerance after the original arrived; only the store's
 * memory of the id stops it then (issue 15, item 6). A warning, not a refusal: a replay runs the
 * handlers again (a duplicate, which idempotent handlers absorb), never loses an event, and some
 * setups choose a short retention on purpose (a small Bloom window).
 */
function warnAboutReplayWindow(options: ResolvedReceiverOptions, storeRetentionMs: number | undefined, enabled: (code: WarningCode) => boolean): void {
  // Read as optional: verifiers written before the field existed do not declare it.
  const toleranceMs = (options.verifier as { toleranceMs?: unknown }).toleranceMs;
  if (typeof toleranceMs !== 'number' || !Number.isFinite(toleranceMs) || toleranceMs <= 0) return;
  const replayWindowMs = 2 * toleranceMs;
  const rememberedMs = Math.min(options.retentionMs, storeRetentionMs ?? Number.POSITIVE_INFINITY);
  if (rememberedMs >= replayWindowMs || !enabled('WARN_HOOKGUARD_RETENTION_BELOW_REPLAY_WINDOW')) return;
  const by = rememberedMs < options.retentionMs ? `the '${options.store.name}' store's retentionMs` : 'retentionMs';
  options.logger.warn(
    { code: 'WARN_HOOKGUARD_RETENTION_BELOW_REPLAY_WINDOW', retentionMs: rememberedMs, toleranceMs, replayWindowMs },
    `Handled ids are remembered for ${rememberedMs} ms (${by}), but the '${options.verifier.name}' verifier accepts a signed delivery for ${toleranceMs} ms ` +
      `on either side of its timestamp: a captured delivery replayed up to ${replayWindowMs} ms later is still authentic and runs the handlers again. ` +
      `Raise retentionMs to at least ${replayWindowMs}, or silence with warnings: { WARN_HOOKGUARD_RETENTION_BELOW_REPLAY_WINDOW: false }.`,
  );
}
