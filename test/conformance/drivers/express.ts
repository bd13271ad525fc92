import { webhookHandler } from '@hookguard/express';
import express from 'express';
import request from 'supertest';
import { PATH, type WireRequest, type WireResponse } from '../wire-request.js';
import type { RequestListener } from 'node:http';
import { closeServer, fetchDriver, nodeStream, originOf, sendToListener, type Driver, type Framework } from './driver.js';

/** Header lines grouped by name as written, so a repeated name goes out as several lines. */
function grouped(wire: WireRequest): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, value] of wire.headers) out.set(name, [...(out.get(name) ?? []), value]);
  return out;
}

/** Sends `wire` to `app` (an Express app or any node:http request listener) through supertest. */
export async function sendWithSupertest(app: Parameters<typeof request>[0], wire: WireRequest): Promise<WireResponse> {
  if (wire.stalls) return sendToListener(app as RequestListener, wire);
  const test = request(app).post(wire.path);
  // An array value goes out as one header line per value.
  for (const [name, values] of grouped(wire)) test.set({ [name]: values.length === 1 ? values[0] : values });
  if (wire.chunked) {
    // Piping a stream into the request sends it with Transfer-Encoding: chunked.
    const body = nodeStream(wire);
    const response = await new Promise<request.Response>((resolve, reject) => {
      test.on('response', resolve).on('error', reject);
      body.pipe(test as unknown as NodeJS.WritableStream);
    }).finally(() => body.destroy());
    return { status: response.status, headers: response.headers as Record<string, string>, body: response.text };
  }
  // superagent would serialize a Buffer as JSON under a JSON Content-Type, so the body goes as text
  // (the table's bodies are UTF-8, sent byte for byte, BOM included); an empty body is not sent at
  // all, since send('') would add a form Content-Type.
  const response = await (wire.body.byteLength === 0 ? test : test.send(Buffer.from(wire.body).toString('utf8')));
  return { status: response.status, headers: response.headers as Record<string, string>, body: response.text };
}

export const expressFramework: Framework = {
  name: 'Express',
  async start(receiver, transport): Promise<Driver> {
    const app = express();
    app.post(PATH, webhookHandler(receiver));
    if (transport === 'in-process') return { send: (wire) => sendWithSupertest(app, wire), close: async () => undefined };
    const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    return fetchDriver(originOf(server), () => closeServer(server));
  },
};
