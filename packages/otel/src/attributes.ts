// Attribute names: the messaging conventions (semantic-conventions 1.45) where they have one,
// `hookguard.*` for the rest. Written out rather than imported: the incubating conventions
// package is large and its names move between releases.

export const MESSAGING_SYSTEM = 'messaging.system';
export const MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const ERROR_TYPE = 'error.type';
export const CODE_FUNCTION_NAME = 'code.function.name';

export const EVENT_TYPE = 'hookguard.event.type';
export const OUTCOME = 'hookguard.outcome';
export const ATTEMPT = 'hookguard.attempt';
export const MODE = 'hookguard.mode';
export const STATUS_CODE = 'hookguard.response.status_code';
export const DEDUP_SKIPPED = 'hookguard.dedup_skipped';
export const LEASE_LOST = 'hookguard.lease_lost';
export const STORE = 'hookguard.store';
export const STORE_OPERATION = 'hookguard.store.operation';
export const CLAIM_STATUS = 'hookguard.claim.status';
export const QUEUE = 'hookguard.queue';
export const HANDLER_PATTERN = 'hookguard.handler.pattern';

/** `error.type` when nothing better is known (the conventions' fallback value). */
export const OTHER_ERROR = '_OTHER';

const HOOKGUARD_CODE = /^ERR_HOOKGUARD_[A-Z_]{1,60}$/;

/**
 * A low-cardinality name for a failure: a hookguard error code, or the class of what was thrown
 * (`TypeError`, `AggregateError`, your own error classes). Never a message: messages may quote
 * payloads.
 */
export function errorType(error: unknown): string {
  if (typeof error !== 'object' || error === null) return OTHER_ERROR;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && HOOKGUARD_CODE.test(code)) return code;
  const name = (Object.getPrototypeOf(error) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? name : OTHER_ERROR;
}

/**
 * `error.type` of a delivery: a handler's failure is named by what the handler threw (the answer's
 * `ERR_HOOKGUARD_HANDLER_FAILED` wraps it), any other failure by its code.
 */
export function deliveryErrorType(error: { readonly code: string; readonly cause?: unknown }): string {
  if (error.code === 'ERR_HOOKGUARD_HANDLER_FAILED' && error.cause !== undefined) return errorType(error.cause);
  return HOOKGUARD_CODE.test(error.code) ? error.code : OTHER_ERROR;
}
