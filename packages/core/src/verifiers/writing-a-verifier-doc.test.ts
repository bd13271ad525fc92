// Runs the example of docs/writing-a-verifier.md as published: a custom verifier must resolve an
// authentic body that is not JSON with bodyError (the receiver answers 400), never throw (500,
// retried forever).
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verifier } from './verifier.js';

const docs = new URL('../../../../docs/writing-a-verifier.md', import.meta.url);
const core = new URL('../index.ts', import.meta.url).pathname;
const SECRET = 'my-sender-secret';
const encoder = new TextEncoder();

let scratch = '';
let mySender: (options: { secret: string }) => Verifier;

beforeAll(async () => {
  const markdown = readFileSync(docs, 'utf8');
  const block = /```ts\n([\s\S]*?)\n```/.exec(markdown)?.[1];
  if (block === undefined) throw new Error('docs/writing-a-verifier.md has no ```ts block');
  scratch = mkdtempSync(join(tmpdir(), 'hookguard-verifier-doc-'));
  const file = join(scratch, 'my-sender.ts');
  writeFileSync(file, block.replace(/from '@hookguard\/core'/g, `from ${JSON.stringify(core)}`));
  ({ mySender } = (await import(/* @vite-ignore */ file)) as { mySender: typeof mySender });
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const sign = (body: string): string => createHmac('sha256', SECRET).update(body).digest('hex');

describe('the example verifier of docs/writing-a-verifier.md', () => {
  it('reads an authentic JSON delivery', async () => {
    const body = JSON.stringify({ id: 'evt_1', type: 'order.paid' });
    await expect(mySender({ secret: SECRET }).verify({ rawBody: encoder.encode(body), headers: { 'x-my-signature': sign(body) } })).resolves.toMatchObject({
      id: 'evt_1',
      type: 'order.paid',
      payload: { id: 'evt_1', type: 'order.paid' },
    });
  });

  it('resolves an authentic body that is not JSON with a coded bodyError instead of throwing', async () => {
    for (const body of ['not json', '']) {
      const delivery = await mySender({ secret: SECRET }).verify({ rawBody: encoder.encode(body), headers: new Headers({ 'X-My-Signature': sign(body) }) });
      expect(delivery.bodyError?.code).toBe(body === '' ? 'ERR_HOOKGUARD_EMPTY_BODY' : 'ERR_HOOKGUARD_INVALID_BODY');
      expect(delivery.bodyError?.status).toBe(400);
    }
  });

  it('rejects a wrong or missing signature with a coded error', async () => {
    const verifier = mySender({ secret: SECRET });
    await expect(verifier.verify({ rawBody: encoder.encode('{}'), headers: { 'x-my-signature': sign('{"x":1}') } })).rejects.toMatchObject({
      code: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH',
    });
    await expect(verifier.verify({ rawBody: encoder.encode('{}'), headers: {} })).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_MISSING_HEADER' });
  });
});
