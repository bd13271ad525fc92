// Shared by the receiver's tests: deliveries signed by the `standardwebhooks` SDK itself, an
// injectable clock, a log capture and store wrappers that fail on demand.
import { Webhook } from 'standardwebhooks';
import type { Logger, LogFields } from '../logging/logger.js';
import type { DedupStore } from '../store/dedup-store.js';
import { MemoryStore } from '../store/memory-store.js';
import { standardWebhooks } from '../verifiers/index.js';
import { createReceiver } from './create-receiver.js';
import type { Receiver, ReceiverOptions, TransactionClient, TransactionalDedupStore } from './types.js';

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const sdk = new Webhook(SECRET);

export function manualClock(start = Date.UTC(2026, 10, 28, 12)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

export type Delivery = { rawBody: string; headers: Record<string, string> };

/** A delivery signed by the standardwebhooks SDK at `at` (epoch ms). */
export function signed(id: string, type: string, at: number, data: unknown = { n: 1 }): Delivery {
  const rawBody = JSON.stringify({ type, timestamp: new Date(at).toISOString(), data });
  return signedBody(id, rawBody, at);
}

export function signedBody(id: string, rawBody: string, at: number): Delivery {
  return {
    rawBody,
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at / 1000)),
      'webhook-signature': sdk.sign(id, new Date(at), rawBody),
      'content-type': 'application/json',
    },
  };
}

export function captureLogs() {
  const lines: { level: string; fields: LogFields; message: string }[] = [];
  const logger: Logger = {
    debug: (fields, message) => lines.push({ level: 'debug', fields, message }),
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    error: (fields, message) => lines.push({ level: 'error', fields, message }),
  };
  return { logger, lines, codes: (level: string) => lines.filter((line) => line.level === level).map((line) => line.fields['code']) };
}

/** A store that forwards to `inner` until `down` is set, then rejects like an unreachable server. */
export class FlakyStore implements DedupStore {
  readonly name = 'flaky';
  readonly exact: boolean;
  readonly shared = true;
  down = false;
  extendAnswer: boolean | undefined;
  readonly calls: string[] = [];

  constructor(readonly inner: DedupStore = new MemoryStore(), options: { exact?: boolean } = {}) {
    this.exact = options.exact ?? true;
  }

  #call<T>(name: string, run: () => Promise<T>): Promise<T> {
    this.calls.push(name);
    return this.down ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')) : run();
  }

  claim: DedupStore['claim'] = (key, options) => this.#call('claim', () => this.inner.claim(key, options));
  complete: DedupStore['complete'] = (key, token, options) => this.#call('complete', () => this.inner.complete(key, token, options));
  release: DedupStore['release'] = (key, token, options) => this.#call('release', () => this.inner.release(key, token, options));
  extend: DedupStore['extend'] = (key, token, leaseMs) =>
    this.#call('extend', () => (this.extendAnswer === undefined ? this.inner.extend(key, token, leaseMs) : Promise.resolve(this.extendAnswer)));
}

/** A transactional store over a memory store: the work runs between claim and complete. */
export function transactionalMemoryStore(inner = new MemoryStore(), connection = new AbortController()): TransactionalDedupStore {
  return {
    name: 'memory-tx',
    exact: true,
    shared: true,
    claim: (key, options) => inner.claim(key, options),
    complete: (key, token, options) => inner.complete(key, token, options),
    release: (key, token, releaseOptions) => inner.release(key, token, releaseOptions),
    extend: (key, token, leaseMs) => inner.extend(key, token, leaseMs),
    async claimInTransaction(key, options, work) {
      const claim = await inner.claim(key, options);
      if (claim.status !== 'claimed') return claim;
      try {
        await work({ db: 'tx-client' as unknown as TransactionClient, attempt: claim.attempt, signal: connection.signal });
      } catch (error) {
        await inner.release(key, claim.token);
        throw error;
      }
      await inner.complete(key, claim.token, { retentionMs: options.retentionMs });
      return claim;
    },
  };
}

/** A receiver on a manual clock with captured logs; the verifier shares the clock. */
export function testReceiver(options: Partial<ReceiverOptions> = {}) {
  const clock = manualClock();
  const logs = captureLogs();
  const store = options.store ?? new MemoryStore({ now: clock.now });
  const receiver: Receiver = createReceiver({
    verifier: standardWebhooks({ secret: SECRET, now: clock.now }),
    now: clock.now,
    logger: logs.logger,
    // The tests' stores pose as shared ones, which need an explicit namespace.
    namespace: 'standard-webhooks',
    ...options,
    store,
  });
  return { receiver, clock, logs, store };
}

export function json(body: string): unknown {
  return JSON.parse(body);
}
