// Telemetry first: then every receiver created afterwards (or before: it patches nothing) is measured.
import { startTelemetry } from './telemetry.js';
import { createReceiver, standardWebhooks } from '@hookguard/core';
import { webhookMiddleware } from '@hookguard/node';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const telemetry = startTelemetry();

const receiver = createReceiver({ verifier: standardWebhooks({ secret: process.env['WEBHOOK_SECRET'] ?? 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }), namespace: 'mail' });
receiver.on('message.received', async (event) => {
  console.log(`message ${event.id} received`);
});

const webhooks = webhookMiddleware(receiver, { path: '/webhooks' });
const server = createServer((req, res) => {
  void webhooks(req, res, () => {
    if (req.method === 'GET' && req.url === '/metrics') return telemetry.metrics(req, res);
    res.statusCode = 404;
    res.end();
  });
});

server.listen(Number(process.env['PORT'] ?? 3000), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`listening on http://127.0.0.1:${port} (webhooks: POST /webhooks, metrics: GET /metrics)`);
});

process.once('SIGTERM', () => {
  server.close();
  void telemetry.shutdown();
});
