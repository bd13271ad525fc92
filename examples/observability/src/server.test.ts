// The example as its README runs it (`npm start`), then signed deliveries, then a Prometheus scrape.
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExample, type StartedExample } from '../../../test/support/example-process.js';
import { SECRET } from '../../../test/support/signed-delivery.js';

const OTHER_SECRET = 'whsec_bm90IHRoZSBlbmRwb2ludCdzIHNlY3JldCBhdCBhbGw=';

let example: StartedExample;
beforeAll(async () => {
  example = await startExample(fileURLToPath(new URL('..', import.meta.url)), { WEBHOOK_SECRET: SECRET });
}, 60_000);
afterAll(async () => {
  await example?.stop();
});

async function send(id: string, secret = SECRET): Promise<number> {
  const body = JSON.stringify({ type: 'message.received', data: { text: 'hello' } });
  const now = new Date();
  const headers = {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, now, body),
  };
  const response = await fetch(`${example.origin}/webhooks`, { method: 'POST', body, headers });
  await response.arrayBuffer();
  return response.status;
}

/** The value of the sample of `name` whose labels include every one of `labels`. */
function sample(metrics: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of metrics.split('\n')) {
    const match = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    if (Object.entries(labels).every(([label, value]) => match[2]!.includes(`${label}="${value}"`))) return Number(match[3]);
  }
  return undefined;
}

describe('examples/observability', () => {
  it('serves hookguard_deliveries and the messaging metrics on /metrics after signed deliveries', async () => {
    expect([await send('msg_1'), await send('msg_2'), await send('msg_3'), await send('msg_2'), await send('msg_4', OTHER_SECRET)]).toEqual([200, 200, 200, 200, 401]);
    const response = await fetch(`${example.origin}/metrics`);
    expect(response.status).toBe(200);
    const metrics = await response.text();
    const mail = { messaging_destination_name: 'mail', messaging_system: 'standard-webhooks' };
    expect(sample(metrics, 'hookguard_deliveries_total', { ...mail, hookguard_outcome: 'processed' })).toBe(3);
    expect(sample(metrics, 'hookguard_deliveries_total', { ...mail, hookguard_outcome: 'duplicate' })).toBe(1);
    expect(sample(metrics, 'hookguard_deliveries_total', { ...mail, hookguard_outcome: 'rejected' })).toBe(1);
    expect(sample(metrics, 'hookguard_verification_failures_total', { ...mail, error_type: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH' })).toBe(1);
    expect(sample(metrics, 'messaging_client_consumed_messages_total', mail)).toBe(4);
    expect(sample(metrics, 'hookguard_store_duration_count', { hookguard_store: 'memory', hookguard_store_operation: 'claim' })).toBe(4);
    // No event id in any label.
    expect(metrics).not.toMatch(/msg_\d/);
  });
});
