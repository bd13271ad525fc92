import { describeError } from '../errors/describe-error.js';

const MAX_REMEMBERED = 1_000;

/**
 * The last handler error of each recently failed key, kept in this process, so a dead letter
 * reached on a later delivery (after an `onDeadLetter` call threw) reports the real error. Across
 * processes the store carries its description (`release(…, { lastError })`).
 */
export class LastErrors {
  readonly #errors = new Map<string, unknown>();

  remember(key: string, error: unknown): string {
    this.#errors.delete(key);
    if (this.#errors.size >= MAX_REMEMBERED) {
      const oldest = this.#errors.keys().next();
      if (oldest.done !== true) this.#errors.delete(oldest.value);
    }
    this.#errors.set(key, error);
    return describeError(error);
  }

  forget(key: string): void {
    // Nearly always empty: no lookup then.
    if (this.#errors.size !== 0) this.#errors.delete(key);
  }

  /** The real error when this process saw it, else one rebuilt from the store's description. */
  recall(key: string, described: string | undefined): unknown {
    if (this.#errors.has(key)) return this.#errors.get(key);
    if (described === undefined) return undefined;
    return new Error(`the last attempt failed with ${described} (as recorded by the store)`);
  }
}
