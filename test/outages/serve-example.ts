// An example app (examples/<framework>/src/app.ts) served in this process on 127.0.0.1, and a
// receiver whose logs and delivery reports the test can read.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { createReceiver, standardWebhooks, type DeliveryReport, type LogFields, type Logger, type Receiver, type ReceiverOptions } from '@hookguard/core';
import { createApp as createExpressApp } from '../../examples/express/src/app.js';
import { createApp as createFastifyApp } from '../../examples/fastify/src/app.js';
import { createApp as createHonoApp } from '../../examples/hono/src/app.js';
import { EVENT_TYPE, NAMESPACE, SECRET, type Framework } from '../cross-process/app-config.js';

export type ServedApp = { url: string; close: () => Promise<void> };

/** Serves `receiver` through the example app of `framework` on a free port. */
export async function serveExample(framework: Framework, receiver: Receiver): Promise<ServedApp> {
  if (framework === 'fastify') {
    const app = await createFastifyApp(receiver);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/webhooks`, close: () => app.close() };
  }
  const server: Server = framework === 'express' ? createServer(createExpressApp(receiver)) : (createAdaptorServer({ fetch: createHonoApp(receiver).fetch }) as Server);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type LogLine = { level: 'warn' | 'error'; fields: LogFields; message: string };

/** A receiver for the test event type whose handler counts runs per event id, with logs and reports kept. */
export function observedReceiver(options: Omit<ReceiverOptions, 'verifier' | 'logger' | 'onDelivery' | 'namespace'>, handler?: (id: string) => Promise<void> | void) {
  const logs: LogLine[] = [];
  const reports: DeliveryReport[] = [];
  const runs = new Map<string, number>();
  const logger: Logger = {
    warn: (fields, message) => void logs.push({ level: 'warn', fields, message }),
    error: (fields, message) => void logs.push({ level: 'error', fields, message }),
  };
  const receiver = createReceiver({
    ...options,
    verifier: standardWebhooks({ secret: SECRET }),
    namespace: NAMESPACE,
    logger,
    onDelivery: (report) => void reports.push(report),
  });
  receiver.on(EVENT_TYPE, async (event) => {
    runs.set(event.id, (runs.get(event.id) ?? 0) + 1);
    await handler?.(event.id);
  });
  return { receiver, logs, reports, runs };
}
