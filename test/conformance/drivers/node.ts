import { createServer } from 'node:http';
import { webhookMiddleware } from '@hookguard/node';
import { PATH } from '../wire-request.js';
import { closeServer, fetchDriver, originOf, type Driver, type Framework } from './driver.js';
import { sendWithSupertest } from './express.js';

/** `@hookguard/node` as the whole request listener of a bare node:http server. */
export const nodeFramework: Framework = {
  name: 'node:http',
  async start(receiver, transport): Promise<Driver> {
    const listener = webhookMiddleware(receiver, { path: PATH });
    if (transport === 'in-process') return { send: (wire) => sendWithSupertest(listener, wire), close: async () => undefined };
    const server = createServer(listener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fetchDriver(originOf(server), () => closeServer(server));
  },
};
