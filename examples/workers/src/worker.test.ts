import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { duplicateAnswer, expectForgedRefused, expectRetriedThenDuplicate, expectUnsignedRefused } from '../../../test/support/example-deliveries.js';
import { exampleWithMailApi } from '../../../test/support/example-suite.js';

describe('examples/workers in workerd, started with npm start', () => {
  const running = exampleWithMailApi(fileURLToPath(new URL('..', import.meta.url)));
  const endpoint = (): string => `${running.example.origin}/webhooks`;

  it('bundles the Web Crypto build of the core and no Node built-in', async () => {
    const bundle = await readFile(new URL('../dist/worker.js', import.meta.url), 'utf8');
    expect(bundle).toContain('crypto.subtle.importKey');
    expect(bundle).not.toMatch(/\bfrom\s*["']node:|require\(["']node:|import\(["']node:/);
  });

  it('answers 500 when the reply fails, handles the retry, then answers the redelivery as a duplicate', async () => {
    await expectRetriedThenDuplicate(endpoint(), running.mailApi, 'msg_workers_1', duplicateAnswer);
  });

  it('refuses a delivery signed with another secret with 401 and sends nothing', async () => {
    await expectForgedRefused(endpoint(), running.mailApi, 'msg_workers_forged');
  });

  it('refuses a delivery without its signature headers with 400', async () => {
    await expectUnsignedRefused(endpoint());
  });

  it('answers 405 to a GET of the endpoint and 404 elsewhere', async () => {
    const get = await fetch(endpoint());
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    expect((await fetch(`${running.example.origin}/nowhere`)).status).toBe(404);
  });
});
