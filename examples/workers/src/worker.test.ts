import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delivery, OTHER_SECRET, SECRET, startExample, startMailApi, type StartedExample } from './example-process.fixtures.js';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

describe('examples/workers in workerd, started with npm start', () => {
  let example: StartedExample;
  let mailApi: Awaited<ReturnType<typeof startMailApi>>;

  beforeAll(async () => {
    mailApi = await startMailApi(1);
    example = await startExample(exampleDir, { WEBHOOK_SECRET: SECRET, MAIL_API_URL: mailApi.url });
  });

  afterAll(async () => {
    await example?.stop();
    await mailApi?.close();
  });

  it('bundles the Web Crypto build of the core and no Node built-in', async () => {
    const bundle = await readFile(new URL('../dist/worker.js', import.meta.url), 'utf8');
    expect(bundle).toContain('crypto.subtle.importKey');
    expect(bundle).not.toMatch(/\bfrom\s*["']node:|require\(["']node:|import\(["']node:/);
  });

  it('answers 500 when the reply fails, handles the retry, then answers the redelivery as a duplicate', async () => {
    const sent = delivery('msg_workers_1');
    const failed = await fetch(`${example.origin}/webhooks`, sent);
    expect([failed.status, await failed.text()]).toEqual([500, '{"error":"ERR_HOOKGUARD_HANDLER_FAILED"}']);
    const retried = await fetch(`${example.origin}/webhooks`, sent);
    expect([retried.status, await retried.text()]).toEqual([200, '{"received":true}']);
    const duplicate = await fetch(`${example.origin}/webhooks`, sent);
    expect([duplicate.status, await duplicate.text()]).toEqual([200, '{"received":true,"duplicate":true}']);
    // The failed attempt and the retry; the duplicate sent nothing.
    const reply = { messageId: 'm_msg_workers_1', to: 'ada@example.com', subject: 'Re: Invoice' };
    expect(mailApi.calls).toEqual([reply, reply]);
  });

  it('refuses a delivery signed with another secret with 401 and sends nothing', async () => {
    const callsBefore = mailApi.calls.length;
    const forged = await fetch(`${example.origin}/webhooks`, delivery('msg_workers_forged', OTHER_SECRET));
    expect([forged.status, await forged.text()]).toEqual([401, '{"error":"ERR_HOOKGUARD_SIGNATURE_MISMATCH"}']);
    expect(mailApi.calls).toHaveLength(callsBefore);
  });

  it('refuses a delivery without its signature headers with 400', async () => {
    const response = await fetch(`${example.origin}/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"message.received"}' });
    expect([response.status, await response.text()]).toEqual([400, '{"error":"ERR_HOOKGUARD_MISSING_HEADER"}']);
  });

  it('answers 405 to a GET of the endpoint and 404 elsewhere', async () => {
    const get = await fetch(`${example.origin}/webhooks`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    expect((await fetch(`${example.origin}/nowhere`)).status).toBe(404);
  });
});
