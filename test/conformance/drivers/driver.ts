import type { Receiver } from '@hookguard/core';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fromWebResponse, webHeaders, webStream, type WireRequest, type WireResponse } from '../wire-request.js';

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
      const body = request.chunked ? webStream(request.body) : request.body;
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
      const body = wire.chunked ? webStream(wire.body) : wire.body;
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
