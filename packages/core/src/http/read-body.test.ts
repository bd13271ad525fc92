import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WebhookError } from '../errors/webhook-error.js';
import { readBody } from './read-body.js';

const LIMITS = { maxBytes: 16, timeoutMs: 40 };

function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (error: { code?: string }) => error.code ?? 'no code',
  );
}

describe('readBody of a Node stream', () => {
  it('joins the chunks into the exact bytes', async () => {
    expect(Buffer.from(await readBody(Readable.from([Buffer.from('{"a":'), Buffer.from('1}')]), LIMITS)).toString()).toBe('{"a":1}');
  });

  it('refuses a body over maxBytes as it arrives, and stops taking its bytes', async () => {
    const stream = new PassThrough();
    const read = codeOf(readBody(stream, LIMITS));
    stream.write(Buffer.alloc(10));
    stream.write(Buffer.alloc(10));
    expect(await read).toBe('ERR_HOOKGUARD_BODY_TOO_LARGE');
    expect(stream.listenerCount('data')).toBe(0);
    expect(stream.isPaused()).toBe(true);
  });

  it('refuses a body that stops arriving before timeoutMs', async () => {
    const stream = new PassThrough();
    stream.write(Buffer.from('{"a":'));
    expect(await codeOf(readBody(stream, LIMITS))).toBe('ERR_HOOKGUARD_BODY_TIMEOUT');
  });

  it('refuses a body whose connection closed before its end', async () => {
    const stream = new PassThrough();
    const read = codeOf(readBody(stream, LIMITS));
    stream.write(Buffer.from('{"a":'));
    stream.destroy();
    expect(await read).toBe('ERR_HOOKGUARD_BODY_INCOMPLETE');
  });

  it('lets neither a late stream error nor the close after the end fail a body already read', async () => {
    const stream = new PassThrough();
    const read = readBody(stream, LIMITS);
    stream.end(Buffer.from('{"a":1}'));
    expect(Buffer.from(await read).toString()).toBe('{"a":1}');
    // With no 'error' listener left on the stream, this emit would throw (an uncaught exception in a server).
    expect(() => stream.emit('error', new Error('socket reset after the body'))).not.toThrow();
    expect(() => stream.emit('close')).not.toThrow();
  });

  it('refuses a stream something else already read to its end', async () => {
    const stream = Readable.from([Buffer.from('x')]);
    for await (const chunk of stream) expect(chunk).toBeDefined();
    expect(await codeOf(readBody(stream, LIMITS))).toBe('ERR_HOOKGUARD_BODY_INCOMPLETE');
  });

  it('serves several bodies at once with their own deadlines', async () => {
    const slow = new PassThrough();
    const fast = new PassThrough();
    const slowRead = codeOf(readBody(slow, LIMITS));
    const fastRead = readBody(fast, LIMITS);
    fast.end(Buffer.from('ok'));
    expect(Buffer.from(await fastRead).toString()).toBe('ok');
    expect(await slowRead).toBe('ERR_HOOKGUARD_BODY_TIMEOUT');
  });
});

describe('readBody of a node:http request', () => {
  /** Sends `body` with its headers in one write, as a small webhook arrives, and reads it on the server. */
  async function serve(body: string, limits: typeof LIMITS): Promise<{ outcome: string; dataListeners: number }> {
    let settle!: (value: { outcome: string; dataListeners: number }) => void;
    const done = new Promise<{ outcome: string; dataListeners: number }>((resolve) => (settle = resolve));
    const server = createServer((req: IncomingMessage, res) => {
      readBody(req, limits)
        .then(
          (bytes) => settle({ outcome: Buffer.from(bytes).toString(), dataListeners: req.listenerCount('data') }),
          (error: { code?: string }) => settle({ outcome: error.code ?? 'no code', dataListeners: req.listenerCount('data') }),
        )
        .finally(() => res.end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.write(`POST /webhooks HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    socket.resume();
    try {
      return await done;
    } finally {
      socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('takes a body that arrived with its headers in one read, without listening to the stream', async () => {
    expect(await serve('{"type":"message.received"}', { maxBytes: 1024, timeoutMs: 40 })).toEqual({ outcome: '{"type":"message.received"}', dataListeners: 0 });
  });

  it('refuses a body that arrived whole but is over maxBytes', async () => {
    expect((await serve('x'.repeat(LIMITS.maxBytes + 1), LIMITS)).outcome).toBe('ERR_HOOKGUARD_BODY_TOO_LARGE');
  });

  it('reads an empty body as no bytes', async () => {
    expect((await serve('', LIMITS)).outcome).toBe('');
  });
});

describe('readBody of a Web ReadableStream', () => {
  const encoder = new TextEncoder();

  /** The stream's chunks through a reader, as the Web adapters hand a body over. */
  async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
    const reader = stream.getReader();
    for (;;) {
      const step = await reader.read();
      if (step.done) return;
      yield step.value;
    }
  }

  function webStream(chunks: string[], end: boolean): AsyncGenerator<Uint8Array> {
    return chunksOf(new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
        if (end) controller.close();
      },
    }));
  }

  it('joins the chunks into the exact bytes', async () => {
    expect(new TextDecoder().decode(await readBody(webStream(['{"a":', '1}'], true), LIMITS))).toBe('{"a":1}');
  });

  it('refuses a body over maxBytes', async () => {
    expect(await codeOf(readBody(webStream(['0123456789', '0123456789'], true), LIMITS))).toBe('ERR_HOOKGUARD_BODY_TOO_LARGE');
  });

  it('refuses a body that stops arriving before timeoutMs, while a read is still pending', async () => {
    expect(await codeOf(readBody(webStream(['{"a":'], false), LIMITS))).toBe('ERR_HOOKGUARD_BODY_TIMEOUT');
  });

  it('refuses a body whose stream fails', async () => {
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('reset'));
      },
    });
    expect(await codeOf(readBody(chunksOf(stream), LIMITS))).toBe('ERR_HOOKGUARD_BODY_INCOMPLETE');
  });

  it("keeps a coded refusal the source itself threw (an adapter's own byte limit)", async () => {
    async function* limited(): AsyncGenerator<Uint8Array> {
      yield encoder.encode('{');
      throw new WebhookError('ERR_HOOKGUARD_BODY_TOO_LARGE', 'over the adapter limit');
    }
    expect(await codeOf(readBody(limited(), LIMITS))).toBe('ERR_HOOKGUARD_BODY_TOO_LARGE');
  });

  it('decodes string chunks as UTF-8', async () => {
    async function* text(): AsyncGenerator<string> {
      yield 'é';
    }
    expect(Array.from(await readBody(text(), LIMITS))).toEqual([0xc3, 0xa9]);
  });
});
