import { WebhookError, streamChunks } from '@hookguard/core';
import type { HonoRequest } from 'hono';

/** What the adapter hands to `receive`: the exact bytes, or the request stream for the core to read. */
export type RawBodySource = Uint8Array | AsyncIterable<Uint8Array>;

/**
 * HonoRequest's `bodyCache` as it is at run time: one promise per body reader already used
 * (Hono types it as the `Body` methods themselves).
 */
type BodyCache = {
  arrayBuffer?: Promise<ArrayBuffer>;
  blob?: Promise<Blob>;
  text?: Promise<string>;
  json?: Promise<unknown>;
  formData?: Promise<FormData>;
};

/** Answered when something read the body in a way that lost its exact bytes. */
export const BODY_ALREADY_PARSED = new WebhookError(
  'ERR_HOOKGUARD_BODY_ALREADY_PARSED',
  'A middleware read the request body as text, JSON or form data before hookguard, so the exact bytes the signature covers ' +
    'are gone (text decoding drops a byte order mark and replaces invalid UTF-8). Mount the hookguard handler before that ' +
    'middleware, or have the middleware read c.req.arrayBuffer(), whose bytes hookguard can reuse.',
);

/**
 * Where the exact bytes are: bytes an earlier `c.req.arrayBuffer()` or `c.req.blob()` cached, or
 * the unread request stream. The stream is handed over as an iterable, so the core enforces
 * `maxBodyBytes` and `bodyTimeoutMs` while the bytes arrive (the caller then keeps them with
 * {@link cacheBody}). `undefined` when the exact bytes are gone.
 */
export async function rawBodyOf(req: HonoRequest): Promise<RawBodySource | undefined> {
  const cache = req.bodyCache as unknown as BodyCache;
  if (cache.arrayBuffer !== undefined) return new Uint8Array(await cache.arrayBuffer);
  if (cache.blob !== undefined) return new Uint8Array(await (await cache.blob).arrayBuffer());
  if (Object.keys(cache).length > 0 || req.raw.bodyUsed) return undefined;
  const stream = req.raw.body;
  if (stream === null) return new Uint8Array(0);
  return streamChunks(stream);
}

/** What `@hono/node-server` puts in `c.env`: Node's own request, untouched by Hono until read. */
export type NodeIncoming = AsyncIterable<Uint8Array> & {
  headers: Record<string, string | string[] | undefined>;
  readableDidRead?: boolean;
  readableEnded?: boolean;
};

/**
 * On Node (`@hono/node-server`), the `IncomingMessage` itself, when nothing has read its body yet.
 * Reading it directly spares the runtime from building a Web `Request` and stream per delivery,
 * which costs more than verifying the signature. `undefined` on other runtimes or once anything
 * touched the body; the Web path below then applies.
 */
export function unreadNodeIncoming(env: unknown, req: HonoRequest): NodeIncoming | undefined {
  const incoming = (env as { incoming?: Partial<NodeIncoming> } | undefined)?.incoming;
  if (typeof incoming !== 'object' || incoming === null || typeof incoming.headers !== 'object') return undefined;
  if (typeof incoming[Symbol.asyncIterator] !== 'function' || incoming.readableDidRead !== false || incoming.readableEnded === true) return undefined;
  if (Object.keys(req.bodyCache).length > 0) return undefined;
  return incoming as NodeIncoming;
}

/**
 * Keeps the bytes the core read where Hono's `c.req.json()`, `text()` and `arrayBuffer()` look.
 * The `ArrayBuffer` of their own is made when something asks for it: most deliveries are answered
 * without, and a buffer outside the JavaScript heap per delivery costs more than the rest of this.
 */
export function cacheBody(req: HonoRequest, bytes: Uint8Array): void {
  let cached: Promise<ArrayBuffer> | undefined;
  Object.defineProperty(req.bodyCache, 'arrayBuffer', {
    configurable: true,
    enumerable: true,
    get: () => (cached ??= Promise.resolve(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)),
    set: (value: Promise<ArrayBuffer>) => {
      cached = value;
    },
  });
}
