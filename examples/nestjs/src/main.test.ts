import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The same process and delivery helpers as the node:http example's test.
import { delivery, SECRET, startExample, startMailApi, type StartedExample } from '../../node-http/src/example-process.fixtures.js';

describe('examples/nestjs, started with npm start', () => {
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
    const sent = delivery('msg_nest_1');
    const failed = await fetch(`${example.origin}/webhooks`, sent);
    expect([failed.status, await failed.text()]).toEqual([500, '{"error":"ERR_HOOKGUARD_HANDLER_FAILED"}']);
    const retried = await fetch(`${example.origin}/webhooks`, sent);
    expect([retried.status, await retried.text()]).toEqual([200, '{"received":true}']);
    const duplicate = await fetch(`${example.origin}/webhooks`, sent);
    expect(await duplicate.json()).toEqual({ received: true, duplicate: true });
    expect(mailApi.calls).toEqual([
      { messageId: 'm_msg_nest_1', to: 'ada@example.com', subject: 'Re: Invoice' },
      { messageId: 'm_msg_nest_1', to: 'ada@example.com', subject: 'Re: Invoice' },
    ]);
  });

  it('refuses a delivery signed with another secret with 401 and sends nothing', async () => {
    const callsBefore = mailApi.calls.length;
    const forged = await fetch(`${example.origin}/webhooks`, delivery('msg_nest_forged', 'whsec_bm90IHRoZSBlbmRwb2ludCdzIHNlY3JldCBhdCBhbGw='));
    expect([forged.status, await forged.text()]).toEqual([401, '{"error":"ERR_HOOKGUARD_SIGNATURE_MISMATCH"}']);
    expect(mailApi.calls).toHaveLength(callsBefore);
  });

  it('keeps Nest’s JSON body parsing for the rest of the app', async () => {
    const response = await fetch(`${example.origin}/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hello"}' });
    expect([response.status, await response.json()]).toEqual([201, { saved: { text: 'hello' } }]);
    expect((await fetch(`${example.origin}/nowhere`)).status).toBe(404);
  });
});
