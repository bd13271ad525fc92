import { hookguard } from '@hookguard/fastify';
import Fastify from 'fastify';
import { Readable } from 'node:stream';
import { PATH } from '../wire-request.js';
import { fetchDriver, nodeStream, type Driver, type Framework } from './driver.js';

export const fastifyFramework: Framework = {
  name: 'Fastify',
  async start(receiver, transport): Promise<Driver> {
    const app = Fastify();
    await app.register(hookguard, { receiver, path: PATH });
    if (transport === 'socket') {
      const origin = await app.listen({ port: 0, host: '127.0.0.1' });
      return fetchDriver(origin, () => app.close());
    }
    return {
      async send(wire) {
        const headers: Record<string, string | string[]> = {};
        for (const [name, value] of wire.headers) {
          const previous = headers[name];
          headers[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
        }
        const payload = wire.chunked ? nodeStream(wire) : Buffer.from(wire.body);
        const response = await app.inject({ method: 'POST', url: wire.path, headers, payload }).finally(() => {
          if (payload instanceof Readable) payload.destroy();
        });
        return { status: response.statusCode, headers: response.headers as Record<string, string>, body: response.body };
      },
      close: () => app.close(),
    };
  },
};
