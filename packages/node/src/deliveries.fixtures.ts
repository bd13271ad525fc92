import { createReceiver, silentLogger, standardWebhooks, type Receiver } from '@hookguard/core';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** A `message.received` delivery signed by the Standard Webhooks SDK. */
export function signedDelivery(id: string, data: unknown = { text: 'hello' }): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ type: 'message.received', data });
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

/** Serves `listener` on a free loopback port while `run` talks to it, then closes every connection. */
export async function onServer(listener: RequestListener | Server, run: (origin: string) => Promise<void>): Promise<void> {
  const server = typeof listener === 'function' ? createServer(listener) : listener;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

/** A body stream without a length, so fetch sends it chunked. */
export function chunked(text: string, chunkBytes = 64): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) controller.close();
      else controller.enqueue(bytes.slice(offset, (offset += chunkBytes)));
    },
  });
}

/** `fetch` options for a POST with a streamed body (`duplex` is missing from the DOM typings). */
export function streamedPost(headers: Record<string, string>, body: ReadableStream<Uint8Array>): RequestInit {
  return { method: 'POST', headers, body, duplex: 'half' } as RequestInit;
}
