import { describe, expect, it, vi } from 'vitest';
import { chunkedBody, endlessBody, signedBody, signedDelivery, standardReceiver, streamedRequest } from './deliveries.fixtures.js';
import { serveWeb } from './node-bridge.fixtures.js';
import { webhookHandler } from './webhook-handler.js';

const URL = 'https://example.com/api/webhooks';

function handlerWith(options: { maxBodyBytes?: number; bodyTimeoutMs?: number } = {}) {
  const receiver = standardReceiver(options);
  const handled = vi.fn();
  receiver.on('message.received', handled);
  return { handle: webhookHandler(receiver), handled };
}

function post(delivery: { body: string; headers: Record<string, string> }): Request {
  return new Request(URL, { method: 'POST', headers: delivery.headers, body: delivery.body });
}

describe('webhookHandler', () => {
  it('receives a signed delivery and answers its redelivery as a duplicate', async () => {
    const { handle, handled } = handlerWith();
    const delivery = signedDelivery('msg_1');
    const first = await handle(post(delivery));
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await first.text()).toBe('{"received":true}');
    const again = await handle(post(delivery));
    expect(await again.json()).toEqual({ received: true, duplicate: true });
    expect(handled).toHaveBeenCalledTimes(1);
  });

  it('answers 500 when the handler throws, and runs it again on the retry', async () => {
    const receiver = standardReceiver();
    let calls = 0;
    receiver.on('message.received', () => {
      if (++calls === 1) throw new Error('the mail API is down');
    });
    const handle = webhookHandler(receiver);
    const delivery = signedDelivery('msg_retry');
    const failed = await handle(post(delivery));
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: 'ERR_HOOKGUARD_HANDLER_FAILED' });
    expect((await handle(post(delivery))).status).toBe(200);
    expect(calls).toBe(2);
  });

  it('refuses a bad signature with 401 without running the handler', async () => {
    const { handle, handled } = handlerWith();
    const delivery = signedDelivery('msg_1');
    const response = await handle(post({ ...delivery, headers: { ...delivery.headers, 'webhook-signature': 'v1,AAAA' } }));
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH' });
    expect(handled).not.toHaveBeenCalled();
  });

  it('reads a body streamed without a Content-Length, multibyte characters split across chunks', async () => {
    const { handle, handled } = handlerWith();
    const { body, headers } = signedDelivery('msg_1', { text: 'ünïcødé ✓ 👍' });
    const response = await handle(streamedRequest(URL, headers, chunkedBody(body, 5)));
    expect(response.status).toBe(200);
    expect(handled.mock.calls[0]?.[0]).toMatchObject({ id: 'msg_1', payload: { data: { text: 'ünïcødé ✓ 👍' } } });
  });

  it('refuses an endless body with 413 once it passes maxBodyBytes, without reading the rest', async () => {
    const { handle, handled } = handlerWith({ maxBodyBytes: 1024 });
    const endless = endlessBody(256);
    const response = await handle(streamedRequest(URL, signedDelivery('msg_1').headers, endless.stream));
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: 'ERR_HOOKGUARD_BODY_TOO_LARGE' });
    // The stream's own read-ahead may pull a chunk or two more, never the endless rest.
    expect(endless.pulled()).toBeLessThan(1024 + 4 * 256);
    expect(handled).not.toHaveBeenCalled();
  });

  it('refuses a declared Content-Length over maxBodyBytes with 413 before reading the body', async () => {
    const { handle } = handlerWith({ maxBodyBytes: 1024 });
    const endless = endlessBody(256);
    const response = await handle(streamedRequest(URL, { ...signedDelivery('msg_1').headers, 'content-length': '5000' }, endless.stream));
    expect(response.status).toBe(413);
    // A ReadableStream pulls once to fill its queue when it is created; the handler read nothing.
    expect(endless.pulled()).toBeLessThanOrEqual(256);
  });

  it('answers 408 to a body that stops arriving before bodyTimeoutMs', async () => {
    const { handle } = handlerWith({ bodyTimeoutMs: 50 });
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"type":'));
      },
    });
    const response = await handle(streamedRequest(URL, signedDelivery('msg_1').headers, stalled));
    expect(response.status).toBe(408);
    expect(await response.json()).toEqual({ error: 'ERR_HOOKGUARD_BODY_TIMEOUT' });
  });

  it('answers anything but POST with 405 and Allow: POST, without asking the receiver', async () => {
    const receiver = standardReceiver();
    const onResult = vi.fn();
    const handle = webhookHandler(receiver, { onResult });
    for (const method of ['GET', 'HEAD', 'PUT', 'OPTIONS']) {
      const response = await handle(new Request(URL, { method }));
      expect({ method, status: response.status, allow: response.headers.get('allow') }).toEqual({ method, status: 405, allow: 'POST' });
    }
    expect(onResult).not.toHaveBeenCalled();
  });

  it('answers 500 ERR_HOOKGUARD_BODY_ALREADY_PARSED, not a bad signature, after request.text() read the body', async () => {
    const { handle, handled } = handlerWith();
    const request = post(signedDelivery('msg_1'));
    await request.text();
    const response = await handle(request);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'ERR_HOOKGUARD_BODY_ALREADY_PARSED' });
    expect(handled).not.toHaveBeenCalled();
  });

  it('answers 500 ERR_HOOKGUARD_BODY_ALREADY_PARSED when another reader holds the body stream', async () => {
    const { handle } = handlerWith();
    const request = post(signedDelivery('msg_1'));
    request.body!.getReader();
    const response = await handle(request);
    expect(await response.json()).toEqual({ error: 'ERR_HOOKGUARD_BODY_ALREADY_PARSED' });
  });

  it('receives the original request after a clone of it was read first', async () => {
    const { handle, handled } = handlerWith();
    const request = post(signedDelivery('msg_1'));
    expect(await request.clone().json()).toMatchObject({ type: 'message.received' });
    expect((await handle(request)).status).toBe(200);
    expect(handled).toHaveBeenCalledTimes(1);
  });

  it('answers 400 ERR_HOOKGUARD_EMPTY_BODY to a signed POST without a body', async () => {
    const { handle } = handlerWith();
    const response = await handle(new Request(URL, { method: 'POST', headers: signedBody('msg_1', '').headers }));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'ERR_HOOKGUARD_EMPTY_BODY' });
  });

  it('passes every result to onResult', async () => {
    const receiver = standardReceiver();
    const outcomes: string[] = [];
    const handle = webhookHandler(receiver, { onResult: (result, request) => void outcomes.push(`${result.outcome} ${request.method}`) });
    const delivery = signedDelivery('msg_1');
    await handle(post(delivery));
    await handle(post({ ...delivery, headers: { ...delivery.headers, 'webhook-signature': 'v1,AAAA' } }));
    expect(outcomes).toEqual(['ignored POST', 'rejected POST']);
  });

  it('throws at setup without a receiver', () => {
    // @ts-expect-error: the receiver is required
    expect(() => webhookHandler(undefined)).toThrow(expect.objectContaining({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' }));
  });

  it('serves real HTTP through a Node host: a chunked upload, a duplicate, a refused oversized body', async () => {
    const { handle, handled } = handlerWith({ maxBodyBytes: 1024 });
    const server = await serveWeb(handle);
    try {
      const { body, headers } = signedDelivery('msg_http');
      const first = await fetch(streamedRequest(`${server.origin}/webhooks`, headers, chunkedBody(body)));
      expect([first.status, await first.text()]).toEqual([200, '{"received":true}']);
      const again = await fetch(`${server.origin}/webhooks`, { method: 'POST', headers, body });
      expect(await again.json()).toEqual({ received: true, duplicate: true });
      const tooLarge = await fetch(`${server.origin}/webhooks`, { method: 'POST', headers: signedDelivery('msg_big').headers, body: 'x'.repeat(5000) });
      expect(tooLarge.status).toBe(413);
      expect(handled).toHaveBeenCalledTimes(1);
    } finally {
      await server.close();
    }
  });
});
