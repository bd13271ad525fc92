import { sign } from '@octokit/webhooks-methods';
import { describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../store/memory-store.js';
import { signShopify } from '../testing/signers.js';
import { github, shopify } from '../verifiers/index.js';
import { createReceiver } from './create-receiver.js';
import { captureLogs } from './receiver.fixtures.js';

const GITHUB_SECRET = 'It’s a Secret to Everybody';
const SHOPIFY_SECRET = 'shpss_0123456789abcdef0123456789abcdef';

/** A genuine GitHub delivery: the body signed by @octokit/webhooks-methods, the headers as GitHub sends them. */
async function gitHubDelivery(body: object, event: string, deliveryId: string) {
  const rawBody = JSON.stringify(body);
  return {
    rawBody,
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': await sign(GITHUB_SECRET, rawBody),
    },
  };
}

function gitHubReceiver() {
  return createReceiver({ verifier: github({ secret: GITHUB_SECRET }), store: new MemoryStore(), logger: captureLogs().logger });
}

describe('schemes that sign only the body (GitHub, Shopify)', () => {
  it('answers a captured GitHub delivery resent under fresh delivery ids as a duplicate, every time', async () => {
    const receiver = gitHubReceiver();
    const handler = vi.fn();
    receiver.on('issues.opened', handler);
    const genuine = await gitHubDelivery({ action: 'opened', issue: { number: 1 } }, 'issues', 'd-1');
    expect(await receiver.receive(genuine)).toMatchObject({ outcome: 'processed' });
    for (const forgedId of ['d-2', 'd-3', 'd-4']) {
      const replay = { rawBody: genuine.rawBody, headers: { ...genuine.headers, 'x-github-delivery': forgedId } };
      expect(await receiver.receive(replay)).toMatchObject({ outcome: 'duplicate', status: 200 });
    }
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('never lets a forged delivery id suppress the genuine delivery that later carries it', async () => {
    const receiver = gitHubReceiver();
    const handled: string[] = [];
    receiver.on('issues', (event) => void handled.push(event.id));
    const captured = await gitHubDelivery({ action: 'opened', issue: { number: 1 } }, 'issues', 'd-1');
    await receiver.receive(captured);
    // The attacker resends the captured body under the id the next genuine delivery will carry.
    await receiver.receive({ rawBody: captured.rawBody, headers: { ...captured.headers, 'x-github-delivery': 'd-2' } });
    const next = await gitHubDelivery({ action: 'closed', issue: { number: 1 } }, 'issues', 'd-2');
    expect(await receiver.receive(next)).toMatchObject({ outcome: 'processed' });
    expect(handled).toEqual(['d-1', 'd-2']);
  });

  it('runs a captured body resent under another X-GitHub-Event at most once for that type (two topics may share a body)', async () => {
    const receiver = gitHubReceiver();
    const issues = vi.fn();
    const deploys = vi.fn();
    receiver.on('issues', issues);
    receiver.on('deployment', deploys);
    const genuine = await gitHubDelivery({ action: 'opened', issue: { number: 1 } }, 'issues', 'd-1');
    await receiver.receive(genuine);
    for (const forgedId of ['d-8', 'd-9']) {
      await receiver.receive({ rawBody: genuine.rawBody, headers: { ...genuine.headers, 'x-github-event': 'deployment', 'x-github-delivery': forgedId } });
    }
    expect(issues).toHaveBeenCalledTimes(1);
    expect(deploys).toHaveBeenCalledTimes(1);
  });

  it('answers a captured Shopify delivery resent under a fresh webhook id as a duplicate', async () => {
    const receiver = createReceiver({ verifier: shopify({ secret: SHOPIFY_SECRET }), store: new MemoryStore(), logger: captureLogs().logger });
    const handler = vi.fn();
    receiver.on('orders/create', handler);
    const rawBody = JSON.stringify({ id: 820982911946154508, total_price: '10.00' });
    const headers = await signShopify({ secret: SHOPIFY_SECRET, body: rawBody, topic: 'orders/create', webhookId: 'w-1' });
    expect(await receiver.receive({ rawBody, headers })).toMatchObject({ outcome: 'processed' });
    expect(await receiver.receive({ rawBody, headers: { ...headers, 'x-shopify-webhook-id': 'w-2' } })).toMatchObject({ outcome: 'duplicate' });
    expect(handler).toHaveBeenCalledTimes(1);
  });
});

describe('the body fingerprint', () => {
  it('is not computed where the key already is the signed body’s digest (GitHub)', async () => {
    const store = new MemoryStore();
    const claims: (string | undefined)[] = [];
    const claim = store.claim.bind(store);
    store.claim = (key, options) => {
      claims.push(options.fingerprint);
      return claim(key, options);
    };
    const receiver = createReceiver({ verifier: github({ secret: GITHUB_SECRET }), store, logger: captureLogs().logger });
    receiver.on('issues', vi.fn());
    await receiver.receive(await gitHubDelivery({ action: 'opened' }, 'issues', 'd-1'));
    expect(claims).toEqual([undefined]);
  });
});

describe('GitHub dispatch by event name', () => {
  it("runs a handler registered for 'issues' for issues.opened, as @octokit/webhooks does", async () => {
    const receiver = gitHubReceiver();
    const byName = vi.fn();
    const byAction = vi.fn();
    const otherAction = vi.fn();
    receiver.on('issues', byName);
    receiver.on('issues.opened', byAction);
    receiver.on('issues.closed', otherAction);
    const result = await receiver.receive(await gitHubDelivery({ action: 'opened', issue: { number: 1 } }, 'issues', 'd-1'));
    expect(result).toMatchObject({ outcome: 'processed', status: 200 });
    expect(byName).toHaveBeenCalledTimes(1);
    expect(byName.mock.calls[0]?.[0]).toMatchObject({ type: 'issues.opened', id: 'd-1' });
    expect(byAction).toHaveBeenCalledTimes(1);
    expect(otherAction).not.toHaveBeenCalled();
  });

  it('answers 400, not 200 ignored, to a GitHub delivery without X-GitHub-Event', async () => {
    const receiver = gitHubReceiver();
    receiver.on('*', vi.fn());
    const delivery = await gitHubDelivery({ action: 'opened' }, 'issues', 'd-1');
    const { 'x-github-event': _dropped, ...headers } = delivery.headers;
    const result = await receiver.receive({ rawBody: delivery.rawBody, headers });
    expect(result.status).toBe(400);
    expect(result.outcome).toBe('rejected');
  });
});
