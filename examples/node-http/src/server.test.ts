import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delivery, SECRET, startExample, startMailApi, type StartedExample } from './example-process.fixtures.js';

describe('examples/node-http, started with npm start', () => {
  let example: StartedExample;
  let mailApi: Awaited<ReturnType<typeof startMailApi>>;

  beforeAll(async () => {
    mailApi = await startMailApi(1);
    example = await startExample(fileURLToPath(new URL('..', import.meta.url)), { WEBHOOK_SECRET: SECRET, MAIL_API_URL: mailApi.url });
  });

  afterAll(async () => {
    await example?.stop();
    await mailApi?.close();
  });

  it('answers 500 when the reply fails, handles the retry, then answers the redelivery as a duplicate', async () => {
    const sent = delivery('msg_node_http_1');
    const failed = await fetch(`${example.origin}/webhooks`, sent);
    expect([failed.status, await failed.text()]).toEqual([500, '{"error":"ERR_HOOKGUARD_HANDLER_FAILED"}']);
    const retried = await fetch(`${example.origin}/webhooks`, sent);
    expect([retried.status, await retried.text()]).toEqual([200, '{"received":true}']);
    const duplicate = await fetch(`${example.origin}/webhooks`, sent);
    expect(await duplicate.json()).toEqual({ received: true, duplicate: true });
    // The failed attempt and the retry; the duplicate sent nothing.
    expect(mailApi.calls).toEqual([
      { messageId: 'm_msg_node_http_1', to: 'ada@example.com', subject: 'Re: Invoice' },
      { messageId: 'm_msg_node_http_1', to: 'ada@example.com', subject: 'Re: Invoice' },
    ]);
  });

  it('refuses a delivery signed with another secret with 401 and sends nothing', async () => {
    const callsBefore = mailApi.calls.length;
    const forged = await fetch(`${example.origin}/webhooks`, delivery('msg_node_http_forged', 'whsec_bm90IHRoZSBlbmRwb2ludCdzIHNlY3JldCBhdCBhbGw='));
    expect([forged.status, await forged.text()]).toEqual([401, '{"error":"ERR_HOOKGUARD_SIGNATURE_MISMATCH"}']);
    expect(mailApi.calls).toHaveLength(callsBefore);
  });

  it('hands every other request to the rest of the app', async () => {
    expect(await (await fetch(`${example.origin}/health`)).json()).toEqual({ ok: true });
    expect((await fetch(`${example.origin}/nowhere`)).status).toBe(404);
    expect((await fetch(`${example.origin}/webhooks`)).status).toBe(405);
  });
});
