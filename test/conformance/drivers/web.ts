import { webhookHandler } from '@hookguard/web';
// The package's own test host: a node:http server that hands each request over as a Web Request.
import { serveWeb } from '../../../packages/web/src/node-bridge.fixtures.js';
import { fetchDriver, inProcessWebDriver, type Driver, type Framework } from './driver.js';

/**
 * `@hookguard/web`: in process, called with `Request` objects as a Next.js, Bun, Deno or Workers
 * runtime builds them; over a socket, behind the few lines a Node host of a `(Request) => Response`
 * function runs.
 */
export const webFramework: Framework = {
  name: 'Web (Request => Response)',
  async start(receiver, transport): Promise<Driver> {
    const handler = webhookHandler(receiver);
    if (transport === 'in-process') return inProcessWebDriver((path, init) => handler(new Request(`https://example.com${path}`, init)));
    const server = await serveWeb(handler);
    return fetchDriver(server.origin, server.close);
  },
};
