// Two copies of @hookguard/core in one process (two installed versions, or a bundled copy beside
// the package) publish to one registry, so one instrumentation traces receivers of both.
import { createReceiver, silentLogger, standardWebhooks } from '@hookguard/core';
import { SpanKind } from '@opentelemetry/api';
import { build } from 'esbuild';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUpOtel, type OtelSetup } from './otel.fixtures.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
type Core = typeof import('@hookguard/core');

let otel: OtelSetup;
beforeAll(() => {
  otel = setUpOtel();
});
afterAll(async () => {
  await otel.shutdown();
});

function signed(id: string): { rawBody: string; headers: Record<string, string> } {
  const rawBody = JSON.stringify({ type: 'message.received', data: {} });
  const now = new Date();
  return { rawBody, headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': new Webhook(SECRET).sign(id, now, rawBody) } };
}

describe('several copies of the core in one process', () => {
  it('are all traced by one instrumentation', async () => {
    // A second copy of the core, bundled into one file as an application bundle carries it.
    const directory = await mkdtemp(join(tmpdir(), 'hookguard-core-copy-'));
    const outfile = join(directory, 'core.mjs');
    await build({ entryPoints: [fileURLToPath(new URL('../../core/src/index.ts', import.meta.url))], bundle: true, format: 'esm', platform: 'node', conditions: ['@hookguard/source'], outfile, logLevel: 'silent' });
    const second = (await import(/* @vite-ignore */ pathToFileURL(outfile).href)) as Core;
    await rm(directory, { recursive: true, force: true });
    expect(second.createReceiver).not.toBe(createReceiver);
    const first = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), namespace: 'first-copy', logger: silentLogger });
    const other = second.createReceiver({ verifier: second.standardWebhooks({ secret: SECRET }), namespace: 'second-copy', logger: second.silentLogger });
    for (const receiver of [first, other]) receiver.on('message.received', () => undefined);
    expect((await first.receive(signed('evt_a'))).outcome).toBe('processed');
    expect((await other.receive(signed('evt_b'))).outcome).toBe('processed');
    const consumers = otel.spans().filter((span) => span.kind === SpanKind.CONSUMER);
    expect(consumers.map((span) => [span.name, span.attributes['messaging.message.id']])).toEqual([
      ['process first-copy', 'evt_a'],
      ['process second-copy', 'evt_b'],
    ]);
  });
});
