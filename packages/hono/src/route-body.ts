import { WebhookError } from '@hookguard/core';

/**
 * The route's whole answer, read before the event is recorded as handled. A body still being
 * produced after the route returned (Hono's `stream()`, `streamText()`, `streamSSE()`) is refused:
 * its work runs after the route "succeeded", and Hono's stream helpers swallow that work's errors,
 * so recording the event as handled then could drop it. The stream is cancelled and the claim
 * released, so the provider's retry runs the route again.
 */
export async function completeRouteBody(response: Response): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (response.body === null) return undefined;
  const reader = response.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  const stillStreaming = nextMacrotask();
  for (;;) {
    const step = await Promise.race([reader.read(), stillStreaming]);
    if (step === STILL_STREAMING) {
      await reader.cancel().catch(() => undefined);
      throw new WebhookError(
        'ERR_HOOKGUARD_STREAMING_RESPONSE',
        "webhookMiddleware(): the route answered with a body that was still streaming when it returned (stream(), streamText(), streamSSE()). Work done inside a stream runs after the route returned and Hono's stream helpers swallow its errors, so the event cannot be recorded as handled. Do the work before returning, then answer with c.json() or c.text().",
      );
    }
    if (step.done) break;
    chunks.push(step.value);
    size += step.value.byteLength;
  }
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

const STILL_STREAMING = Symbol('still streaming');

// A body made from a string, bytes or a finished stream is fully readable within microtasks; one
// whose producer still awaits I/O or timers is not by the next macrotask.
function nextMacrotask(): Promise<typeof STILL_STREAMING> {
  return new Promise((resolve) => setTimeout(() => resolve(STILL_STREAMING), 0));
}
