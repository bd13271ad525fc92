import type { OptionNames } from '../errors/unknown-options.js';
import type { Logger } from '../logging/logger.js';
import type { Redactor } from './redact.js';

/** The options every delivery log that writes outside the process (Redis, PostgreSQL) shares. */
export type StoredDeliveryLogOptions = {
  /**
   * Keep each event's payload, redacted by `redact` and at most `maxPayloadBytes` of JSON.
   * @default false
   */
  payloads?: boolean;
  /** @default redactSecrets */
  redact?: Redactor;
  /**
   * Largest payload kept, in characters of JSON; a larger one is replaced by a note.
   * @default 16_384
   */
  maxPayloadBytes?: number;
  /**
   * Entries waiting while the database is slow or down; past it the oldest are dropped.
   * @default 1_000
   */
  maxPending?: number;
  /**
   * How long a record waits for others to share its write, in milliseconds.
   * @default 50
   */
  batchDelayMs?: number;
  /** Where a failing database is logged (once until it works again). @default consoleLogger */
  logger?: Logger;
};

/** The names of {@link StoredDeliveryLogOptions}, for a log's own list of the options it takes. */
export const STORED_DELIVERY_LOG_OPTIONS: OptionNames<StoredDeliveryLogOptions> = {
  payloads: true,
  redact: true,
  maxPayloadBytes: true,
  maxPending: true,
  batchDelayMs: true,
  logger: true,
};

/**
 * A payload as such a log stores it: redacted (a `redact` that throws leaves a note instead), and
 * replaced by a note when its JSON is longer than `maxChars`. Both the value and its JSON, so a log
 * can store either.
 *
 * @example
 * ```ts
 * storedPayload({ card: '4242' }, redactSecrets, 16_384); // { value: { card: '4242' }, json: '{"card":"4242"}' }
 * ```
 */
export function storedPayload(payload: unknown, redact: Redactor, maxChars: number): { value: unknown; json: string } {
  let value: unknown;
  try {
    value = redact(payload);
  } catch {
    value = '[the redact function threw]';
  }
  const json = JSON.stringify(value) ?? 'null';
  if (json.length <= maxChars) return { value, json };
  const note = `[payload of ${json.length} characters not kept]`;
  return { value: note, json: JSON.stringify(note) };
}
