import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Receiver } from '@hookguard/core';
import { DemoSetupError } from './setup-error.js';

/** The example apps the demo can drive. */
export const FRAMEWORKS = ['express', 'hono', 'fastify'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

/** A receiver app listening on 127.0.0.1. */
export type RunningApp = {
  /** The webhook endpoint, e.g. `http://127.0.0.1:41234/webhooks`. */
  webhookUrl: string;
  close: () => Promise<void>;
};

/**
 * Starts the example app of `framework` (examples/express, examples/hono or examples/fastify,
 * each exporting `createApp(receiver)` with webhooks on `POST /webhooks`) on a free port.
 */
export async function serveApp(framework: Framework, receiver: Pick<Receiver, 'receive' | 'reject'>): Promise<RunningApp> {
  try {
    return await start(framework, receiver);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new DemoSetupError(`--framework ${framework}: the example app (examples/${framework}/src/app.ts) could not be loaded: ${(error as Error).message}`);
  }
}

async function start(framework: Framework, receiver: Pick<Receiver, 'receive' | 'reject'>): Promise<RunningApp> {
  switch (framework) {
    case 'express': {
      const { createApp } = await import('@hookguard/example-express/app');
      return listen(createServer(createApp(receiver)));
    }
    case 'hono': {
      const { createApp } = await import('@hookguard/example-hono/app');
      const { createAdaptorServer } = await import('@hono/node-server');
      const app = createApp(receiver);
      return listen(createAdaptorServer({ fetch: app.fetch }) as Server);
    }
    case 'fastify': {
      const { createApp } = await import('@hookguard/example-fastify/app');
      const app = await createApp(receiver);
      await app.listen({ port: 0, host: '127.0.0.1' });
      return { webhookUrl: `${origin(app.server)}/webhooks`, close: () => app.close() };
    }
  }
}

async function listen(server: Server): Promise<RunningApp> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    webhookUrl: `${origin(server)}/webhooks`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function origin(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
