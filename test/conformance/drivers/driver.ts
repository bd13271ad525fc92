import type { Receiver } from '@hookguard/core';
import { createServer, request as httpRequest, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { fromWebResponse, sentPieces, webHeaders, webStream, type WireRequest, type WireResponse } from '../wire-request.js';

/** One framework app around one receiver, reached in process or over a socket. */
export interface Driver {
  send(request: WireRequest): Promise<WireResponse>;
  close(): Promise<void>;
}

export type Transport = 'in-process' | 'socket';

/** How a framework mounts the receiver and is reached. */
export type Framework = {
  name: string;
  start(receiver: Receiver, transport: Transport): Promise<Driver>;
};

/** A driver that sends each request with `fetch` to a server listening on 127.0.0.1. */
export function fetchDriver(origin: string, close: () => Promise<void>): Driver {
  return {
    async send(request) {
      const body = request.chunked ? webStream(request) : request.body;
      // `duplex` is required by Node's fetch for a stream body, and missing from the DOM typings.
      const init = { method: 'POST', headers: webHeaders(request), body, duplex: 'half' };
      return fromWebResponse(await fetch(`${origin}${request.path}`, init));
    },
    close,
  };
}

/**
 * A driver that hands each request in process to a Web entry point (`app.request`, a
 * `(Request) => Response` handler), with the Content-Length a runtime's `Request` carries.
 */
export function inProcessWebDriver(respond: (path: string, init: RequestInit) => Response | Promise<Response>): Driver {
  return {
    async send(wire) {
      const headers = webHeaders(wire);
      // A runtime's Request carries the Content-Length that came over the wire; new Request() and app.request() add none.
      if (!wire.chunked) headers.set('content-length', String(wire.body.byteLength));
      const body = wire.chunked ? webStream(wire) : wire.body;
      const init = { method: 'POST', headers, body, duplex: 'half' };
      return fromWebResponse(await respond(wire.path, init));
    },
    close: async () => undefined,
  };
}

/** Closes a Node server, its keep-alive connections included. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error === undefined ? resolve() : reject(error)));
    server.closeAllConnections();
  });
}

/** The origin of a listening Node server. */
export function originOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * The body as a Node stream without a length: its pieces, then the end, or for a stalled body
 * nothing more until the caller destroys it once the answer came.
 */
export function nodeStream(wire: WireRequest): Readable {
  const chunks = sentPieces(wire);
  return new Readable({
    read() {
      const chunk = chunks.shift();
      if (chunk !== undefined) this.push(chunk);
      else if (!wire.stalls) this.push(null);
    },
  });
}

/**
 * Sends a wire request with `node:http`, its chunks written at once. A runtime may answer 413
 * before the body has arrived and close the connection (workerd does): `fetch` pulls a stream body
 * piece by piece and fails with EPIPE on the rest, where a provider's client reads the answer.
 */
export function sendOverHttp(origin: string, wire: WireRequest): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${origin}${wire.path}`, { method: 'POST' });
    const names = new Map<string, string[]>();
    for (const [name, value] of wire.headers) names.set(name, [...(names.get(name) ?? []), value]);
    for (const [name, values] of names) request.setHeader(name, values.length === 1 ? values[0]! : values);
    if (!wire.chunked) request.setHeader('content-length', String(wire.body.byteLength));
    request.once('response', (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.once('end', () => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : (value ?? '');
        resolve({ status: response.statusCode ?? 0, headers, body });
      });
    });
    request.once('error', reject);
    for (const piece of wire.chunked ? sentPieces(wire) : [wire.body]) request.write(piece);
    // A stalled body is never ended: the runtime must answer it on its own (408), then it is closed.
    if (wire.stalls) request.once('response', (response) => response.once('end', () => request.destroy()));
    else request.end();
  });
}

/**
 * Sends `wire` to a node:http request listener through a throwaway server on 127.0.0.1: for a
 * stalled body, which supertest cannot send (it answers nothing until the request ends).
 */
export async function sendToListener(listener: RequestListener, wire: WireRequest): Promise<WireResponse> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await sendOverHttp(originOf(server), wire);
  } finally {
    await closeServer(server);
  }
}
