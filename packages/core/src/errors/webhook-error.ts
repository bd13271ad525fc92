import { ERROR_STATUS, type ErrorCode } from './error-codes.js';

/** Options for {@link WebhookError}. */
export type WebhookErrorOptions = {
  /** The underlying error, kept for logs; never sent to the client. */
  cause?: unknown;
  /** Overrides the status that {@link ERROR_STATUS} assigns to the code. */
  status?: number;
};

/**
 * The one error class hookguard throws or reports. `code` is stable, `status` is the HTTP status
 * the receiver answers with, and `message` says what was wrong and how to fix it. Messages never
 * contain a secret, an expected signature or a payload.
 *
 * @example
 * ```ts
 * try {
 *   await verifier.verify({ rawBody, headers });
 * } catch (error) {
 *   if (error instanceof WebhookError && error.code === 'ERR_HOOKGUARD_TIMESTAMP_TOO_OLD') {
 *     // a replayed or badly delayed delivery
 *   }
 * }
 * ```
 */
export class WebhookError extends Error {
  override readonly name = 'WebhookError';
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message: string, options: WebhookErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? ERROR_STATUS[code];
  }
}

/** True when `value` is a {@link WebhookError}, also across duplicated copies of the package. */
export function isWebhookError(value: unknown): value is WebhookError {
  return (
    value instanceof WebhookError ||
    (value instanceof Error &&
      value.name === 'WebhookError' &&
      typeof (value as { code?: unknown }).code === 'string' &&
      typeof (value as { status?: unknown }).status === 'number')
  );
}
