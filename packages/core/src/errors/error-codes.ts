/**
 * Every error hookguard produces, with the HTTP status it answers with. The codes are stable:
 * match on them, never on messages. `docs/errors.md` explains each one and how to fix it.
 */
export const ERROR_STATUS = {
  /** The body is larger than `maxBodyBytes`. */
  ERR_HOOKGUARD_BODY_TOO_LARGE: 413,
  /** The client stopped sending the body before it was complete, or sent it too slowly. */
  ERR_HOOKGUARD_BODY_TIMEOUT: 408,
  /** The client closed the connection or the stream failed before the body was complete. */
  ERR_HOOKGUARD_BODY_INCOMPLETE: 400,
  /** A header the signature scheme needs is absent. */
  ERR_HOOKGUARD_MISSING_HEADER: 400,
  /** A header is present but not in the scheme's format (bad timestamp, unparsable signature list). */
  ERR_HOOKGUARD_MALFORMED_HEADER: 400,
  /** The signature header carries no signature in a version this verifier accepts (e.g. only SHA-1). */
  ERR_HOOKGUARD_NO_SUPPORTED_SIGNATURE: 400,
  /** No signature matches the body under any configured secret. */
  ERR_HOOKGUARD_SIGNATURE_MISMATCH: 401,
  /** The signed timestamp is older than the tolerance: a replay, or a badly delayed delivery. */
  ERR_HOOKGUARD_TIMESTAMP_TOO_OLD: 401,
  /** The signed timestamp is further in the future than the tolerance. */
  ERR_HOOKGUARD_TIMESTAMP_TOO_NEW: 401,
  /** The body is authentic but empty. */
  ERR_HOOKGUARD_EMPTY_BODY: 400,
  /** The body is authentic but not valid JSON (or not valid in the provider's encoding). */
  ERR_HOOKGUARD_INVALID_BODY: 400,
  /** The body is authentic but carries no event id, so it cannot be deduplicated. */
  ERR_HOOKGUARD_MISSING_EVENT_ID: 400,
  /** Another delivery of the same event holds a live lease; retry after `Retry-After`. */
  ERR_HOOKGUARD_IN_PROGRESS: 409,
  /** The dedup store could not be reached; retry after `Retry-After`. */
  ERR_HOOKGUARD_STORE_UNAVAILABLE: 503,
  /** A handler threw; the claim was released so the provider's retry runs the event again. */
  ERR_HOOKGUARD_HANDLER_FAILED: 500,
  /** A handler's lease was taken over by another delivery while it was still running. */
  ERR_HOOKGUARD_LEASE_LOST: 500,
  /** A body parser consumed the request before hookguard could read the raw bytes. */
  ERR_HOOKGUARD_BODY_ALREADY_PARSED: 500,
  /** An option passed at construction is invalid. Thrown at once, never at request time. */
  ERR_HOOKGUARD_INVALID_OPTIONS: 500,
  /** The store does not support an operation (e.g. stored results on a Bloom store). */
  ERR_HOOKGUARD_UNSUPPORTED: 500,
  /** `once()` waited its whole `waitMs` for another caller holding the same key. */
  ERR_HOOKGUARD_ONCE_IN_PROGRESS: 409,
  /** A `once()` function returned a value that JSON cannot store as it is (a `Date`, a `Map`, a cycle). */
  ERR_HOOKGUARD_ONCE_RESULT_NOT_JSON: 500,
  /** A saved store snapshot (Bloom) is truncated, altered, of another format or version, or made with other options. */
  ERR_HOOKGUARD_INVALID_SNAPSHOT: 500,
  /** `verify()` was called with something that is not a request (headers neither a Headers nor a plain object). */
  ERR_HOOKGUARD_INVALID_INPUT: 500,
  /** The handlers (or their `onError` hooks) ran past `handlerTimeoutMs`: aborted, and the claim given back. */
  ERR_HOOKGUARD_HANDLER_TIMEOUT: 500,
  /** Queued mode: the queue could not take the event durably; the claim was released. Retry after `Retry-After`. */
  ERR_HOOKGUARD_QUEUE_UNAVAILABLE: 503,
  /** Queued mode: a worker took a job of a receiver with another namespace (two receivers share one queue); the attempt fails, nothing runs. */
  ERR_HOOKGUARD_QUEUE_SHARED: 500,
  /** Hono's `webhookMiddleware()`: the route answered with a body still streaming when it returned. */
  ERR_HOOKGUARD_STREAMING_RESPONSE: 500,
  /** Something failed inside hookguard that no request should be able to cause. */
  ERR_HOOKGUARD_INTERNAL: 500,
} as const;

/** A stable hookguard error code. */
export type ErrorCode = keyof typeof ERROR_STATUS;
