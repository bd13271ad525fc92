import { WebhookError, refuseUnknownOptions, type ReceiveOptions, type ReceiveResult, type Receiver } from '@hookguard/core';
import type { Context } from 'hono';
import type { StatusCode } from 'hono/utils/http-status';
import { BODY_ALREADY_PARSED, cacheBody, rawBodyOf, unreadNodeIncoming, type RawBodySource } from './raw-body.js';

/** The parts of a receiver the adapter uses; any `Receiver<Events>` fits. */
export type ReceiverLike = Pick<Receiver, 'receive' | 'reject'>;

/**
 * Throws at setup, not at the first request, when `receiver` is not one, or `options` has an
 * option the adapter does not take (both factories take `onResult` alone).
 */
export function assertArguments(receiver: ReceiverLike, options: { onResult?: unknown }, caller: string): void {
  if (typeof receiver?.receive !== 'function' || typeof receiver.reject !== 'function') {
    throw new WebhookError(
      'ERR_HOOKGUARD_INVALID_OPTIONS',
      `${caller}(receiver) needs the receiver from createReceiver(); received ${receiver === null ? 'null' : typeof receiver}.`,
    );
  }
  refuseUnknownOptions(`${caller}()`, options, { onResult: true });
}

/**
 * Hands one request to the receiver: the exact bytes (or the stream) and the headers. Not `async`:
 * on Node the receiver's own promise is the answer, without another wrapped around it.
 */
export function receiveDelivery(c: Context, receiver: ReceiverLike, options?: ReceiveOptions): Promise<ReceiveResult> {
  const incoming = unreadNodeIncoming(c.env, c.req);
  // Whatever the core reads from a stream goes into Hono's body cache, where a later
  // c.req.json(), c.req.text() or c.req.arrayBuffer() finds it.
  const streamed: ReceiveOptions = { ...options, onBody: (bytes) => cacheBody(c.req, bytes) };
  if (incoming !== undefined) return receiver.receive({ rawBody: incoming, headers: incoming.headers }, streamed);
  return receiveFromRequest(c, receiver, options, streamed);
}

/** Elsewhere, or once something touched the body: the bytes Hono cached, or the Web request's stream. */
async function receiveFromRequest(c: Context, receiver: ReceiverLike, options: ReceiveOptions | undefined, streamed: ReceiveOptions): Promise<ReceiveResult> {
  let rawBody: RawBodySource | undefined;
  try {
    rawBody = await rawBodyOf(c.req);
  } catch (error) {
    // A body cached by an earlier reader can hold that reader's failure (a client that disconnected).
    return receiver.reject(
      new WebhookError('ERR_HOOKGUARD_BODY_INCOMPLETE', 'The request body could not be read completely by the middleware that read it first.', { cause: error }),
    );
  }
  if (rawBody === undefined) return receiver.reject(BODY_ALREADY_PARSED);
  return receiver.receive({ rawBody, headers: c.req.raw.headers }, rawBody instanceof Uint8Array ? options : streamed);
}

/**
 * The receiver's answer as a Response, with any headers earlier middleware prepared through
 * `c.header()`. A refused body (413, 408) may still be streaming in: on Node over HTTP/1 the
 * answer also says `connection: close`, so the server ends the connection instead of reading and
 * discarding up to a gigabyte (Node dumps an unread request body to keep a connection alive).
 */
export function toResponse(c: Context, result: ReceiveResult): Response {
  const { status } = result;
  if ((status === 413 || status === 408) && isHttp1NodeRequest(c.env)) {
    return c.newResponse(result.body, status, { ...result.headers, connection: 'close' });
  }
  return c.newResponse(result.body, status as StatusCode, result.headers);
}

function isHttp1NodeRequest(env: unknown): boolean {
  const incoming = (env as { incoming?: { httpVersionMajor?: unknown } } | undefined)?.incoming;
  return typeof incoming?.httpVersionMajor === 'number' && incoming.httpVersionMajor < 2;
}
