import { createReceiver, standardWebhooks } from '@hookguard/core';
import { signStandardWebhooks } from '@hookguard/core/testing';
import { webhookHandler } from '@hookguard/express';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';

// Behaviour the README, docs/design.md and the Express README state in prose, checked as stated.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const silent = { warn: () => undefined, error: () => undefined };

async function delivery(id: string, text: string): Promise<{ rawBody: string; headers: Record<string, string> }> {
  const rawBody = JSON.stringify({ type: 'message.received', data: { text } });
  return { rawBody, headers: await signStandardWebhooks({ secret: SECRET, id, body: rawBody }) };
}

describe('a retry after one of several handlers failed (README, docs/design.md)', () => {
  it('runs every matched handler again, including the one that succeeded; ctx.once keeps its side effect to one run', async () => {
    const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: silent });
    const runs = { audit: 0, replySent: 0, crm: 0 };
    receiver.on('message.received', () => {
      runs.audit++;
    });
    receiver.on('message.received', async (event, ctx) => {
      await ctx.once(`reply:${event.id}`, () => {
        runs.replySent++;
      });
    });
    receiver.on('message.received', () => {
      runs.crm++;
      if (runs.crm === 1) throw new Error('CRM down');
    });
    const input = await delivery('msg_retry_all', 'hi');
    expect((await receiver.receive(input)).status).toBe(500);
    expect((await receiver.receive(input)).status).toBe(200);
    expect(runs).toEqual({ audit: 2, replySent: 1, crm: 2 });
  });
});

describe('a body parser in front of the Express handler (packages/express/README.md)', () => {
  function app(parser: express.RequestHandler): { app: express.Express; runs: () => number } {
    const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: silent });
    let runs = 0;
    receiver.on('message.received', () => {
      runs++;
    });
    const server = express();
    server.post('/webhooks', parser, webhookHandler(receiver));
    return { app: server, runs: () => runs };
  }

  it('with its default limit (100 kB) answers an authentic 200 kB delivery with its own HTML 413; hookguard never sees it', async () => {
    const { rawBody, headers } = await delivery('msg_big_default', 'x'.repeat(200_000));
    const { app: server, runs } = app(express.raw({ type: 'application/json' }));
    const response = await request(server).post('/webhooks').set(headers).set('content-type', 'application/json').send(rawBody);
    expect(response.status).toBe(413);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(runs()).toBe(0);
  });

  it("with a limit of maxBodyBytes ('1mb') hands the same delivery to hookguard, which processes it", async () => {
    const { rawBody, headers } = await delivery('msg_big_limit', 'x'.repeat(200_000));
    const { app: server, runs } = app(express.raw({ type: 'application/json', limit: '1mb' }));
    const response = await request(server).post('/webhooks').set(headers).set('content-type', 'application/json').send(rawBody);
    expect(response.status).toBe(200);
    expect(runs()).toBe(1);
  });
});
