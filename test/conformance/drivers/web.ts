import { webhookHandler } from '@hookguard/web';
// The package's own test host: a node:http server that hands each request over as a Web Request.
import { serveWeb } from '../../../packages/web/src/node-bridge.fixtures.js';
import { fromWebResponse, webHeaders, webStream } from '../wire-request.js';
import { fetchDriver, type Driver, type Framework } from './driver.js';

/**
 * `@hookguard/web`: in process, called with `Request` objects as a Next.js, Bun, Deno or Workers
 * runtime builds them; over a socket, behind the few lines a Node host of a `(Request) => Response`
 * function runs.
 */
export const webFramework: Framework = {
  name: 'Web (Request => Response)',
  async start(receiver, transport): Promise<Driver> {
    const handler = webhookHandler(receiver);
    if (transport === 'in-process') {
      return {
        async send(wire) {
          const headers = webHeaders(wire);
          // A runtime's Request carries the Content-Length that came over the wire; new Request() adds none.
          if (!wire.chunked) headers.set('content-length', String(wire.body.byteLength));
          const body = wire.chunked ? webStream(wire.body) : wire.body;
          const init = { method: 'POST', headers, body, duplex: 'half' };
          return fromWebResponse(await handler(new Request(`https://example.com${wire.path}`, init)));
        },
        close: async () => undefined,
      };
    }
    const server = await serveWeb(handler);
    return fetchDriver(server.origin, server.close);
  },
};
