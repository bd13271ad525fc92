import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delivery, OTHER_SECRET, SECRET, startExample, startMailApi, type StartedExample } from './example-process.fixtures.js';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

describe('examples/nextjs, built with next build and served by next start (npm start)', () => {
  let example: StartedExample;
  let mailApi: Awaited<ReturnType<typeof startMailApi>>;

  // npm start builds @hookguard/core and @hookguard/web, then the app (next build), then serves it.
  beforeAll(async () => {
    mailApi = await startMailApi(1);
    example = await startExample(exampleDir, { WEBHOOK_SECRET: SECRET, MAIL_API_URL: mailApi.url, NEXT_TELEMETRY_DISABLED: '1' });
  }, 300_000);

  afterAll(async () => {
    await example?.stop();
    await mailApi?.close();
  });

  it('answers 500 when the reply fails, handles the retry, then answers the redelivery as a duplicate', async () => {
    const sent = delivery('msg_nextjs_1');
    const failed = await fetch(`${example.origin}/api/webhooks`, sent);
    expect([failed.status, await failed.text()]).toEqual([500, '{"error":"ERR_HOOKGUARD_HANDLER_FAILED"}']);
    const retried = await fetch(`${example.origin}/api/webhooks`, sent);
    expect([retried.status, await retried.text()]).toEqual([200, '{"received":true}']);
    const duplicate = await fetch(`${example.origin}/api/webhooks`, sent);
    expect([duplicate.status, await duplicate.text()]).toEqual([200, '{"received":true,"duplicate":true}']);
    // The failed attempt and the retry; the duplicate sent nothing.
    const reply = { messageId: 'm_msg_nextjs_1', to: 'ada@example.com', subject: 'Re: Invoice' };
    expect(mailApi.calls).toEqual([reply, reply]);
  });

  it('refuses a delivery signed with another secret with 401 and sends nothing', async () => {
    const callsBefore = mailApi.calls.length;
    const forged = await fetch(`${example.origin}/api/webhooks`, delivery('msg_nextjs_forged', OTHER_SECRET));
    expect([forged.status, await forged.text()]).toEqual([401, '{"error":"ERR_HOOKGUARD_SIGNATURE_MISMATCH"}']);
    expect(mailApi.calls).toHaveLength(callsBefore);
  });

  it('refuses a delivery without its signature headers with 400', async () => {
    const response = await fetch(`${example.origin}/api/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"message.received"}' });
    expect([response.status, await response.text()]).toEqual([400, '{"error":"ERR_HOOKGUARD_MISSING_HEADER"}']);
  });

  it('answers a GET of the route with 405, as Next does for a method the route does not export', async () => {
    expect((await fetch(`${example.origin}/api/webhooks`)).status).toBe(405);
  });
});
