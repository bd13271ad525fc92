import { createReceiver, silentLogger, standardWebhooks, type Receiver } from '@hookguard/core';
import { Webhook } from 'standardwebhooks';

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** A `message.received` delivery signed by the Standard Webhooks SDK. */
export function signedDelivery(id: string, data: unknown = { text: 'hello' }): { body: string; headers: Record<string, string> } {
  return signedBody(id, JSON.stringify({ type: 'message.received', data }));
}

/** `body` exactly as given, signed by the Standard Webhooks SDK. */
export function signedBody(id: string, body: string): { body: string; headers: Record<string, string> } {
  // One instant for the header and the signature, so a second cannot tick over between them.
  const signedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  return {
    body,
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(signedAt.getTime() / 1000),
      'webhook-signature': new Webhook(SECRET).sign(id, signedAt, body),
      'content-type': 'application/json',
    },
  };
}

export function standardReceiver(options: { maxBodyBytes?: number; bodyTimeoutMs?: number } = {}): Receiver {
  return createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: silentLogger, ...options });
}

/** A POST whose body streams in without a Content-Length, as a chunked upload reaches a runtime. */
export function streamedRequest(url: string, headers: Record<string, string>, body: ReadableStream<Uint8Array>): Request {
  // `duplex` is required for a stream body and missing from the DOM typings.
  const init = { method: 'POST', headers, body, duplex: 'half' };
  return new Request(url, init);
}

/** `text` as a stream without a length, in pieces of `chunkBytes`. */
export function chunkedBody(text: string, chunkBytes = 16): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + chunkBytes));
      offset += chunkBytes;
    },
  });
}

/** A body stream that never ends; counts the bytes pulled from it. */
export function endlessBody(chunkBytes: number): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += chunkBytes;
      controller.enqueue(new Uint8Array(chunkBytes).fill(0x61));
    },
  });
  return { stream, pulled: () => pulled };
}
