import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { duplicateAnswer, expectForgedRefused, expectRetriedThenDuplicate, expectUnsignedRefused } from '../../../test/support/example-deliveries.js';
import { exampleWithMailApi } from '../../../test/support/example-suite.js';

describe('examples/nextjs, built with next build and served by next start (npm start)', () => {
  // npm start builds @hookguard/core and @hookguard/web, then the app (next build), then serves it.
  const running = exampleWithMailApi(fileURLToPath(new URL('..', import.meta.url)), { NEXT_TELEMETRY_DISABLED: '1' }, {
    listening: /Local:\s+(http:\/\/[\d.]+:\d+)/,
    startTimeoutMs: 300_000,
  });
  const endpoint = (): string => `${running.example.origin}/api/webhooks`;

  it('answers 500 when the reply fails, handles the retry, then answers the redelivery as a duplicate', async () => {
    await expectRetriedThenDuplicate(endpoint(), running.mailApi, 'msg_nextjs_1', duplicateAnswer);
  });

  it('refuses a delivery signed with another secret with 401 and sends nothing', async () => {
    await expectForgedRefused(endpoint(), running.mailApi, 'msg_nextjs_forged');
  });

  it('refuses a delivery without its signature headers with 400', async () => {
    await expectUnsignedRefused(endpoint());
  });

  it('answers a GET of the route with 405, as Next does for a method the route does not export', async () => {
    expect((await fetch(endpoint())).status).toBe(405);
  });
});
