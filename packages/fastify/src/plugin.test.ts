import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signedDelivery, standardReceiver } from './deliveries.fixtures.js';
import { hookguard } from './plugin.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function fastify(options: FastifyServerOptions = {}): FastifyInstance {
  const app = Fastify(options);
  apps.push(app);
  return app;
}

describe('hookguard Fastify plugin', () => {
  it('receives a signed delivery and answers its redelivery as a duplicate', async () => {
    const app = fastify();
    const receiver = standardReceiver();
    const handler = vi.fn();
    receiver.on('message.received', handler);
    await app.register(hookguard, { receiver, path: '/webhooks' });
    const { body, headers } = signedDelivery('msg_1');
    const first = await app.inject({ method: 'POST', url: '/webhooks', headers, payload: body });
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(first.body).toBe('{"received":true}');
    const again = await app.inject({ method: 'POST', url: '/webhooks', headers, payload: body });
    expect(again.body).toBe('{"received":true,"duplicate":true}');
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('keeps its raw parser to its own scope: other routes still get parsed JSON and text', async () => {
    const app = fastify();
    await app.register(hookguard, { receiver: standardReceiver() });
    app.post('/json', async (request) => ({ parsed: request.body }));
    app.post('/text', async (request) => ({ typeOf: typeof request.body }));
    await app.ready();
    const json = await app.inject({ method: 'POST', url: '/json', payload: { hello: 'world' } });
    expect(json.json()).toEqual({ parsed: { hello: 'world' } });
    const text = await app.inject({ method: 'POST', url: '/text', headers: { 'content-type': 'text/plain' }, payload: 'hi' });
    expect(text.json()).toEqual({ typeOf: 'string' });
    const unknown = await app.inject({ method: 'POST', url: '/json', headers: { 'content-type': 'application/x-custom' }, payload: 'x' });
    expect(unknown.statusCode).toBe(415);
    expect(app.hasContentTypeParser('*')).toBe(false);
  });

  it('verifies any content type, not just JSON', async () => {
    const app = fastify();
    const receiver = standardReceiver();
    const handler = vi.fn();
    receiver.on('message.received', handler);
    await app.register(hookguard, { receiver });
    const { body, headers } = signedDelivery('msg_1');
    const plain = await app.inject({ method: 'POST', url: '/webhooks', headers: { ...headers, 'content-type': 'text/plain' }, payload: body });
    expect(plain.statusCode).toBe(200);
    const { 'content-type': _omitted, ...untyped } = signedDelivery('msg_2').headers;
    const none = await app.inject({ method: 'POST', url: '/webhooks', headers: untyped, payload: signedDelivery('msg_2').body });
    expect(none.statusCode).toBe(200);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it.each([
    ['the server bodyLimit', { bodyLimit: 1024 }, {}, {}],
    ["the plugin's bodyLimit", {}, { bodyLimit: 1024 }, {}],
    ["the receiver's maxBodyBytes", {}, {}, { maxBodyBytes: 1024 }],
  ])('answers 413 with its JSON body when a body passes %s, the smallest limit', async (_name, server, plugin, receiverOptions) => {
    const app = fastify(server);
    const receiver = standardReceiver(receiverOptions);
    const handler = vi.fn();
    receiver.on('message.received', handler);
    await app.register(hookguard, { receiver, ...plugin });
    const { body, headers } = signedDelivery('msg_1', { text: 'x'.repeat(2048) });
    const declared = await app.inject({ method: 'POST', url: '/webhooks', headers, payload: body });
    expect(declared.statusCode).toBe(413);
    expect(declared.body).toBe('{"error":"ERR_HOOKGUARD_BODY_TOO_LARGE"}');
    expect(declared.headers['connection']).toBe('close');
    // A stream payload arrives without a Content-Length: the limit is enforced as bytes arrive.
    const streamed = await app.inject({ method: 'POST', url: '/webhooks', headers, payload: Readable.from([body.slice(0, 1000), body.slice(1000)]) });
    expect(streamed.statusCode).toBe(413);
    expect(streamed.body).toBe('{"error":"ERR_HOOKGUARD_BODY_TOO_LARGE"}');
    expect(handler).not.toHaveBeenCalled();
  });

  it('accepts a body under the route bodyLimit that is over the server bodyLimit', async () => {
    const app = fastify({ bodyLimit: 1024 });
    const receiver = standardReceiver();
    await app.register(hookguard, { receiver, bodyLimit: 8192 });
    const { body, headers } = signedDelivery('msg_1', { text: 'x'.repeat(2048) });
    expect((await app.inject({ method: 'POST', url: '/webhooks', headers, payload: body })).statusCode).toBe(200);
  });

  it('registers under a prefix, with plugin metadata Fastify can check', async () => {
    const app = fastify();
    await app.register(hookguard, { receiver: standardReceiver(), path: '/in', prefix: '/hooks' });
    await app.ready();
    expect(app.hasPlugin('@hookguard/fastify')).toBe(true);
    const { body, headers } = signedDelivery('msg_1');
    expect((await app.inject({ method: 'POST', url: '/hooks/in', headers, payload: body })).statusCode).toBe(200);
  });

  it('throws at registration for a misspelt option, and takes the register options Fastify hands it (prefix, logLevel)', async () => {
    // Before, { pth } registered the route at the default '/webhooks' without a word.
    const app = fastify();
    await expect(app.register(hookguard, { receiver: standardReceiver(), pth: '/in' } as never)).rejects.toMatchObject({
      code: 'ERR_HOOKGUARD_INVALID_OPTIONS',
      message: expect.stringMatching(/@hookguard\/fastify: unknown option 'pth'\. The options are receiver, path, bodyLimit, onResult, prefix, logLevel, logSerializers\./),
    });
    const other = fastify();
    await other.register(hookguard, { receiver: standardReceiver(), path: '/in', prefix: '/hooks', logLevel: 'warn' });
    await other.ready();
    const { body, headers } = signedDelivery('msg_1');
    expect((await other.inject({ method: 'POST', url: '/hooks/in', headers, payload: body })).statusCode).toBe(200);
  });

  it('throws at registration without a receiver', async () => {
    const app = fastify();
    // @ts-expect-error: the receiver is required
    await expect(app.register(hookguard, {})).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' });
  });

  it("logs through the request's logger", async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
    const app = fastify({ logger: { level: 'debug', stream } });
    await app.register(hookguard, { receiver: standardReceiver() });
    const { body, headers } = signedDelivery('msg_1');
    await app.inject({ method: 'POST', url: '/webhooks', headers, payload: body });
    const line = lines.find((entry) => entry['msg'] === 'webhook delivery handled');
    expect(line).toMatchObject({ outcome: 'ignored', status: 200, eventId: 'msg_1', reqId: expect.any(String) });
  });

  it('answers over a real socket', async () => {
    const app = fastify();
    const receiver = standardReceiver();
    const handler = vi.fn();
    receiver.on('message.received', handler);
    await app.register(hookguard, { receiver });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const { body, headers } = signedDelivery('msg_1');
    const response = await fetch(`${address}/webhooks`, { method: 'POST', headers, body });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"received":true}');
    expect(handler).toHaveBeenCalledTimes(1);
  });
});
