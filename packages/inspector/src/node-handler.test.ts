import { MemoryDeliveryLog, createReceiver, standardWebhooks } from '@hookguard/core';
import express from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createInspector } from './create-inspector.js';
import { SECRET, TOKEN, bearer, signedDelivery } from './inspector.fixtures.js';
import { nodeHandler } from './node-handler.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function loggedReceiver() {
  const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), deliveryLog: new MemoryDeliveryLog(), namespace: 'mail' });
  receiver.on('*', () => undefined);
  const sent = signedDelivery('evt_mounted', 'message.received', {});
  await receiver.receive({ rawBody: sent.body, headers: sent.headers });
  return receiver;
}

describe('nodeHandler', () => {
  it('serves the inspector under an Express mount path, its links under that path', async () => {
    const app = express();
    app.use('/admin/hookguard', nodeHandler(createInspector({ receiver: await loggedReceiver(), authorize: bearer })));
    const origin = await listen(createServer(app));
    const response = await fetch(`${origin}/admin/hookguard`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const page = await response.text();
    expect(response.status).toBe(200);
    expect(page).toContain('evt_mounted');
    expect(page).toContain('href="/admin/hookguard/dead-letters"');
    expect(page).toMatch(/href="\/admin\/hookguard\/deliveries\/1"/);
    const detail = await fetch(`${origin}/admin/hookguard/deliveries/1`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(detail.status).toBe(200);
    expect((await fetch(`${origin}/admin/hookguard`)).status).toBe(401);
  });

  it('serves it from a plain node:http server', async () => {
    const inspector = nodeHandler(createInspector({ receiver: await loggedReceiver(), authorize: bearer }));
    const origin = await listen(createServer((req, res) => void inspector(req, res)));
    const response = await fetch(`${origin}/`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    expect(await response.text()).toContain('href="/dead-letters"');
  });
});
