import type { ClaimOptions, ClaimResult, CompleteOptions, ReleaseOptions } from '@hookguard/core';
import { DedupOperations, type Executor } from './dedup-operations.js';
import type { Statements } from './sql/statements.js';

/**
 * The store as seen from inside a handler's transaction (`claimInTransaction`'s `scope.store`,
 * which `ctx.once` uses): every operation runs on the transaction's client, so the records it
 * writes commit or roll back with the handler's writes (issue 14, item 5).
 *
 * A claim takes the key's advisory lock exclusively until the transaction ends, waiting for
 * another transaction that holds it at most `lockWaitMs` (`0`: no limit; PostgreSQL's deadlock
 * detection still breaks a cycle). While the transaction holds that lock nobody can take the key
 * over, so `extend` of a key claimed here answers from memory: a heartbeat never queues behind the
 * handler's own statements on the one client.
 *
 * @example
 * ```ts
 * const store = new TransactionStore(execute, statements, 3_750, () => connectionAlive);
 * const value = await once(store, 'reply:msg_1', () => sendReply());
 * ```
 */
export class TransactionStore extends DedupOperations {
  /** Tokens of the keys claimed through this view and still held (neither completed nor released). */
  readonly #held = new Map<string, string>();
  readonly #alive: () => boolean;

  constructor(execute: Executor, statements: Statements, lockWaitMs: number, alive: () => boolean) {
    super(execute, statements, (key, options) => ({
      statement: statements.claim,
      values: [key, options.leaseMs, options.retentionMs, options.fingerprint ?? null, 'wait', lockWaitMs],
    }));
    this.#alive = alive;
  }

  override async claim(key: string, options: ClaimOptions): Promise<ClaimResult> {
    const claim = await super.claim(key, options);
    if (claim.status === 'claimed') this.#held.set(claim.token, key);
    return claim;
  }

  override async complete(key: string, token: string, options: CompleteOptions): Promise<boolean> {
    const completed = await super.complete(key, token, options);
    if (completed) this.#held.delete(token);
    return completed;
  }

  override async release(key: string, token: string, options?: ReleaseOptions): Promise<boolean> {
    const released = await super.release(key, token, options);
    if (released) this.#held.delete(token);
    return released;
  }

  override extend(key: string, token: string, leaseMs: number): Promise<boolean> {
    if (this.#held.get(token) === key) return Promise.resolve(this.#alive());
    return super.extend(key, token, leaseMs);
  }
}
