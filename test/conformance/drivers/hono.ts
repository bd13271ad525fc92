import { serve } from '@hono/node-server';
import { webhookHandler } from '@hookguard/hono';
import { Hono } from 'hono';
import type { Server } from 'node:http';
import { PATH } from '../wire-request.js';
import { closeServer, fetchDriver, inProcessWebDriver, originOf, type Driver, type Framework } from './driver.js';

export const honoFramework: Framework = {
  name: 'Hono',
  async start(receiver, transport): Promise<Driver> {
    const app = new Hono();
    app.post(PATH, webhookHandler(receiver));
    if (transport === 'in-process') return inProcessWebDriver((path, init) => app.request(path, init));
    const server = await new Promise<Server>((resolve) => {
      const listening = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(listening as Server));
    });
    return fetchDriver(originOf(server), () => closeServer(server));
  },
};
