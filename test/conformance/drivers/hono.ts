import { serve } from '@hono/node-server';
import { webhookHandler } from '@hookguard/hono';
import { Hono } from 'hono';
import type { Server } from 'node:http';
import { PATH, fromWebResponse, webHeaders, webStream } from '../wire-request.js';
import { closeServer, fetchDriver, originOf, type Driver, type Framework } from './driver.js';

export const honoFramework: Framework = {
  name: 'Hono',
  async start(receiver, transport): Promise<Driver> {
    const app = new Hono();
    app.post(PATH, webhookHandler(receiver));
    if (transport === 'in-process') {
      return {
        async send(wire) {
          const headers = webHeaders(wire);
          // A runtime's Request carries the Content-Length that came over the wire; app.request() adds none.
          if (!wire.chunked) headers.set('content-length', String(wire.body.byteLength));
          const body = wire.chunked ? webStream(wire.body) : wire.body;
          const init = { method: 'POST', headers, body, duplex: 'half' };
          return fromWebResponse(await app.request(wire.path, init));
        },
        close: async () => undefined,
      };
    }
    const server = await new Promise<Server>((resolve) => {
      const listening = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(listening as Server));
    });
    return fetchDriver(originOf(server), () => closeServer(server));
  },
};
