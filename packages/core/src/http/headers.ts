import { WebhookError } from '../errors/webhook-error.js';

/**
 * Request headers as adapters hand them over: a Web `Headers`, or a plain object such as Node's
 * `IncomingHttpHeaders` (names in any case, values a string or a list of strings).
 */
export type HeadersInput =
  | { get(name: string): string | null; forEach(callback: (value: string, name: string) => void): void }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Case-insensitive, read-only view of the request headers that verifiers and handlers receive.
 * Repeated values are joined with `", "`, as `Headers.get` does.
 */
export interface WebhookHeaders {
  /** The header's value, or `undefined` when absent. Name matching ignores case. */
  get(name: string): string | undefined;
  /** All headers as a plain object with lower-case names. */
  toJSON(): Record<string, string>;
}

function isWebHeaders(input: HeadersInput): input is Extract<HeadersInput, { get: unknown }> {
  return typeof (input as { get?: unknown }).get === 'function';
}

function joinValue(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(', ');
}

/**
 * Wraps adapter headers in a {@link WebhookHeaders} view without copying them.
 *
 * @example
 * ```ts
 * const headers = toWebhookHeaders({ 'Webhook-Id': 'msg_1' });
 * headers.get('webhook-id'); // 'msg_1'
 * ```
 */
export function toWebhookHeaders(input: HeadersInput): WebhookHeaders {
  return isWebHeaders(input) ? new WebHeadersView(input) : new RecordHeadersView(input as HeaderRecord);
}

/**
 * The {@link WebhookHeaders} view of whatever a caller of `verify` passed as `headers`: a view
 * is used as it is; a Web `Headers` or a plain object (Node's `req.headers`, list values
 * included) is wrapped. Anything else is `ERR_HOOKGUARD_INVALID_INPUT`, never a `TypeError`.
 *
 * @example
 * ```ts
 * const headers = asWebhookHeaders({ 'x-github-event': 'issues', 'x-forwarded-for': ['a', 'b'] });
 * headers.get('X-Forwarded-For'); // 'a, b'
 * ```
 */
export function asWebhookHeaders(input: unknown): WebhookHeaders {
  // The receiver always passes its own view: one instanceof on the hot path.
  if (input instanceof RecordHeadersView || input instanceof WebHeadersView) return input;
  if (typeof input !== 'object' || input === null) {
    throw new WebhookError(
      'ERR_HOOKGUARD_INVALID_INPUT',
      `verify() needs \`headers\` as a Web Headers or a plain object of header names and values ` +
        `(such as Node's req.headers); received ${input === null ? 'null' : typeof input}.`,
    );
  }
  if (input instanceof Map) {
    throw new WebhookError(
      'ERR_HOOKGUARD_INVALID_INPUT',
      'verify() got `headers` as a Map, whose names match by case: pass new Headers(map) or Object.fromEntries(map).',
    );
  }
  const { get, forEach, toJSON } = input as { get?: unknown; forEach?: unknown; toJSON?: unknown };
  // Web Headers answers a missing header with null; a WebhookHeaders with undefined.
  if (typeof get === 'function' && typeof forEach === 'function') return new WebHeadersView(input as WebHeaders);
  if (typeof get === 'function' && typeof toJSON === 'function') return input as WebhookHeaders;
  if (typeof get === 'function') {
    throw new WebhookError(
      'ERR_HOOKGUARD_INVALID_INPUT',
      'verify() got `headers` with a get() method but neither forEach() (a Web Headers) nor toJSON() ' +
        '(a WebhookHeaders view): pass a Headers, a plain object, or toWebhookHeaders(…) of either.',
    );
  }
  return new RecordHeadersView(input as HeaderRecord);
}

type WebHeaders = Extract<HeadersInput, { get: unknown }>;
type HeaderRecord = Readonly<Record<string, string | readonly string[] | undefined>>;

// Classes rather than closures: one allocation per request, methods shared on the prototype.
class WebHeadersView implements WebhookHeaders {
  readonly #headers: Extract<HeadersInput, { get: unknown }>;

  constructor(headers: Extract<HeadersInput, { get: unknown }>) {
    this.#headers = headers;
  }

  get(name: string): string | undefined {
    return this.#headers.get(name) ?? undefined;
  }

  toJSON(): Record<string, string> {
    const out: Record<string, string> = {};
    this.#headers.forEach((value, name) => {
      out[name.toLowerCase()] = value;
    });
    return out;
  }
}

class RecordHeadersView implements WebhookHeaders {
  readonly #record: HeaderRecord;
  #lowerCased: Map<string, string> | undefined;

  constructor(record: HeaderRecord) {
    this.#record = record;
  }

  get(name: string): string | undefined {
    const record = this.#record;
    // Node, Fastify and Hono hand over lower-case names, so the direct lookup is the hot path.
    const direct = Object.hasOwn(record, name) ? joinValue(record[name]) : undefined;
    if (direct !== undefined) return direct;
    const lower = name.toLowerCase();
    if (lower !== name && Object.hasOwn(record, lower)) return joinValue(record[lower]);
    this.#lowerCased ??= collect(record);
    return this.#lowerCased.get(lower);
  }

  toJSON(): Record<string, string> {
    return Object.fromEntries(collect(this.#record));
  }
}

function collect(record: HeaderRecord): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(record)) {
    const joined = joinValue(value);
    if (joined === undefined) continue;
    const key = name.toLowerCase();
    const previous = out.get(key);
    out.set(key, previous === undefined ? joined : `${previous}, ${joined}`);
  }
  return out;
}
