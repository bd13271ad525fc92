import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { duplicateBody, expectForgedRefused, expectRetriedThenDuplicate } from '../../../test/support/example-deliveries.js';
import { exampleWithMailApi } from '../../../test/support/example-suite.js';

describe('examples/node-http, started with npm start', () => {
  const running = exampleWithMailApi(fileURLToPath(new URL('..', import.meta.url)));

  it('answers 500 when the reply fails, handles the retry, then answers the redelivery as a duplicate', async () => {
    await expectRetriedThenDuplicate(`${running.example.origin}/webhooks`, running.mailApi, 'msg_node_http_1', duplicateBody);
  });

  it('refuses a delivery signed with another secret with 401 and sends nothing', async () => {
    await expectForgedRefused(`${running.example.origin}/webhooks`, running.mailApi, 'msg_node_http_forged');
  });

  it('hands every other request to the rest of the app', async () => {
    const { origin } = running.example;
    expect(await (await fetch(`${origin}/health`)).json()).toEqual({ ok: true });
    expect((await fetch(`${origin}/nowhere`)).status).toBe(404);
    expect((await fetch(`${origin}/webhooks`)).status).toBe(405);
  });
});
