import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { duplicateBody, expectForgedRefused, expectRetriedThenDuplicate } from '../../../test/support/example-deliveries.js';
import { exampleWithMailApi } from '../../../test/support/example-suite.js';

describe('examples/nestjs, started with npm start', () => {
  const running = exampleWithMailApi(fileURLToPath(new URL('..', import.meta.url)));

  it('answers 500 when the reply fails, handles the retry, then answers the redelivery as a duplicate', async () => {
    await expectRetriedThenDuplicate(`${running.example.origin}/webhooks`, running.mailApi, 'msg_nest_1', duplicateBody);
  });

  it('refuses a delivery signed with another secret with 401 and sends nothing', async () => {
    await expectForgedRefused(`${running.example.origin}/webhooks`, running.mailApi, 'msg_nest_forged');
  });

  it('keeps Nest’s JSON body parsing for the rest of the app', async () => {
    const { origin } = running.example;
    const response = await fetch(`${origin}/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hello"}' });
    expect([response.status, await response.json()]).toEqual([201, { saved: { text: 'hello' } }]);
    expect((await fetch(`${origin}/nowhere`)).status).toBe(404);
  });
});
