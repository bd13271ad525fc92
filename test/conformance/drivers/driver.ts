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
