import { WebhookError, isWebhookError } from '../errors/webhook-error.js';
import type { WebhookHeaders } from '../http/headers.js';
import { asId } from './decode-body.js';
import { invalidOptions } from './verify-errors.js';

/** What an id or type function reads: the request headers and the decoded body. */
export type FieldContext = {
  headers: WebhookHeaders;
  /** The decoded JSON body; `undefined` when the body is empty or not JSON. */
  payload: unknown;
};

/**
 * Where a value (event id, event type) comes from:
 * - `{ header: 'x-event-id' }`: a request header (any case);
 * - `{ body: 'data.id' }`: a dot-separated path into the JSON body (own properties only; a
 *   number becomes its decimal text);
 * - a function of `{ headers, payload }`.
 */
export type FieldSource =
  | { header: string; body?: never }
  | { body: string; header?: never }
  | ((context: FieldContext) => string | undefined);

/** A field source compiled once at construction. */
export type FieldReader = (context: FieldContext) => string | undefined;

/** Compiles a {@link FieldSource}, throwing `ERR_HOOKGUARD_INVALID_OPTIONS` when it is not one. */
export function compileFieldSource(verifier: string, option: string, source: FieldSource): FieldReader {
  if (typeof source === 'function') {
    return (context) => {
      let value: unknown;
      try {
        value = source(context);
      } catch (error) {
        if (isWebhookError(error)) throw error;
        throw new WebhookError(
          'ERR_HOOKGUARD_INTERNAL',
          `${verifier}(): the \`${option}\` function threw on an authentic request. Make it return ` +
            `undefined when the request has no ${option}.`,
          { cause: error },
        );
      }
      return typeof value === 'string' && value.length > 0 ? value : undefined;
    };
  }
  if (typeof source === 'object' && source !== null) {
    const { header, body } = source as { header?: unknown; body?: unknown };
    if (typeof header === 'string' && header.length > 0 && body === undefined) {
      return ({ headers }) => {
        const value = headers.get(header);
        return value === undefined || value.length === 0 ? undefined : value;
      };
    }
    if (typeof body === 'string' && body.length > 0 && header === undefined) {
      const path = body.split('.');
      if (path.every((segment) => segment.length > 0)) return ({ payload }) => readPath(payload, path);
    }
  }
  throw invalidOptions(
    `${verifier}(): \`${option}\` must be { header: 'name' }, { body: 'path.to.field' } or a ` +
      `function of { headers, payload }.`,
  );
}

function readPath(payload: unknown, path: readonly string[]): string | undefined {
  let value = payload;
  for (const segment of path) {
    // Own properties only: a path such as `__proto__.x` or `constructor.name` reads nothing.
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return asId(value);
}
