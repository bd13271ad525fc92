import { createHmac } from 'node:crypto';
import { verify as verifyGitHub } from '@octokit/webhooks-methods';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';
import { describe, expect, it } from 'vitest';
import { cryptoBackend as webBackend } from '../crypto/web.js';
import { toWebhookHeaders } from '../http/headers.js';
import { github, shopify, slack, standardWebhooks, stripe, svix } from '../verifiers/index.js';
import type { Verifier } from '../verifiers/verifier.js';
import {
  signGitHub,
  signGitHubWith,
  signShopify,
  signShopifyWith,
  signSlack,
  signSlackWith,
  signStandardWebhooks,
  signStandardWebhooksWith,
  signStripe,
  signStripeWith,
} from './signers.js';

const WHSEC = [`whsec_${Buffer.from('first standard secret').toString('base64')}`, `whsec_${Buffer.from('second standard secret').toString('base64')}`];
const BODY = JSON.stringify({ id: 'evt_1', type: 'invoice.paid', created: 1_700_000_000, data: { amount: 1 } });

const accept = (verifier: Verifier, headers: Record<string, string>, body = BODY) =>
  verifier.verify({ rawBody: new TextEncoder().encode(body), headers: toWebhookHeaders(headers) });

describe('signStandardWebhooks', () => {
  it('produces headers the standardwebhooks SDK verifies, with every secret of a rotation', async () => {
    const headers = await signStandardWebhooks({ secret: WHSEC, id: 'msg_1', body: BODY });
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secret of WHSEC) expect(new StandardWebhook(secret).verify(BODY, headers)).toEqual(JSON.parse(BODY));
    await expect(accept(standardWebhooks({ secret: WHSEC[1]! }), headers)).resolves.toMatchObject({ id: 'msg_1', type: 'invoice.paid' });
  });

  it('produces svix-* headers the svix SDK verifies', async () => {
    const headers = await signStandardWebhooks({ secret: WHSEC[0]!, id: 'msg_2', body: BODY, headerPrefix: 'svix' });
    expect(Object.keys(headers).sort()).toEqual(['svix-id', 'svix-signature', 'svix-timestamp']);
    expect(new SvixWebhook(WHSEC[0]!).verify(BODY, headers)).toEqual(JSON.parse(BODY));
    await expect(accept(svix({ secret: WHSEC[0]! }), headers)).resolves.toMatchObject({ id: 'msg_2' });
  });

  it('reproduces the specification test vector', async () => {
    const headers = await signStandardWebhooks({
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: 1614265330,
      body: '{"test": 2432232314}',
    });
    expect(headers['webhook-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
});

describe('signStripe', () => {
  it('produces a Stripe-Signature that stripe.webhooks.constructEvent accepts, with every secret of a rotation', async () => {
    const secrets = ['whsec_one_for_signer_tests', 'whsec_two_for_signer_tests'];
    const headers = await signStripe({ secret: secrets, body: BODY });
    const sdk = new Stripe('sk_test_unused');
    for (const secret of secrets) expect(sdk.webhooks.constructEvent(BODY, headers['stripe-signature']!, secret)).toMatchObject({ id: 'evt_1' });
    await expect(accept(stripe({ secret: secrets[0]! }), headers)).resolves.toMatchObject({ id: 'evt_1', type: 'invoice.paid' });
  });

  it('signs the given timestamp as t', async () => {
    const headers = await signStripe({ secret: 'whsec_x', body: BODY, timestamp: 1_700_000_123 });
    expect(headers['stripe-signature']).toMatch(/^t=1700000123,v1=[0-9a-f]{64}$/);
  });
});

describe('signGitHub', () => {
  it('produces an X-Hub-Signature-256 that @octokit/webhooks-methods verifies', async () => {
    const headers = await signGitHub({ secret: 'gh-secret', body: '{"action":"opened"}', event: 'issues', delivery: 'd-1' });
    expect(await verifyGitHub('gh-secret', '{"action":"opened"}', headers['x-hub-signature-256']!)).toBe(true);
    await expect(accept(github({ secret: 'gh-secret' }), headers, '{"action":"opened"}')).resolves.toMatchObject({
      id: 'd-1',
      type: 'issues.opened',
    });
  });

  it("reproduces GitHub's documented example", async () => {
    const headers = await signGitHub({ secret: "It's a Secret to Everybody", body: 'Hello, World!' });
    expect(headers).toEqual({ 'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' });
  });
});

describe('signShopify', () => {
  it('produces the base64 HMAC that node:crypto computes, and the metadata headers', async () => {
    const triggeredAt = new Date('2024-01-02T03:04:05.000Z');
    const headers = await signShopify({ secret: 'shpss_x', body: BODY, topic: 'orders/create', webhookId: 'w-1', eventId: 'e-1', triggeredAt });
    expect(headers).toEqual({
      'x-shopify-hmac-sha256': createHmac('sha256', 'shpss_x').update(BODY).digest('base64'),
      'x-shopify-topic': 'orders/create',
      'x-shopify-webhook-id': 'w-1',
      'x-shopify-event-id': 'e-1',
      'x-shopify-triggered-at': '2024-01-02T03:04:05.000Z',
    });
    await expect(accept(shopify({ secret: 'shpss_x' }), headers)).resolves.toMatchObject({ id: 'w-1', type: 'orders/create', timestamp: triggeredAt });
  });
});

describe('signSlack', () => {
  it("reproduces Slack's documented example signature", async () => {
    // https://api.slack.com/authentication/verifying-requests-from-slack
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
      '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com' +
      '%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const headers = await signSlack({ signingSecret: '8f742231b10e8888abcd99yyyzzz85a5', timestamp: 1531420618, body });
    expect(headers).toEqual({
      'x-slack-request-timestamp': '1531420618',
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    });
  });

  it('produces headers the slack verifier accepts at the current time', async () => {
    const body = JSON.stringify({ type: 'event_callback', event_id: 'Ev1', event: { type: 'app_mention' } });
    const headers = await signSlack({ signingSecret: 'slack-secret', body });
    await expect(accept(slack({ signingSecret: 'slack-secret' }), headers, body)).resolves.toMatchObject({ id: 'Ev1', type: 'app_mention' });
  });
});

describe('signers on Web Crypto', () => {
  it('produce the same headers as on node:crypto', async () => {
    const body = new TextEncoder().encode(BODY);
    expect(await signStandardWebhooksWith(webBackend, { secret: WHSEC, id: 'm', timestamp: 1, body })).toEqual(
      await signStandardWebhooks({ secret: WHSEC, id: 'm', timestamp: 1, body }),
    );
    expect(await signStripeWith(webBackend, { secret: 'whsec_a', timestamp: 1, body })).toEqual(await signStripe({ secret: 'whsec_a', timestamp: 1, body }));
    expect(await signGitHubWith(webBackend, { secret: 'a', body })).toEqual(await signGitHub({ secret: 'a', body }));
    expect(await signShopifyWith(webBackend, { secret: 'a', body })).toEqual(await signShopify({ secret: 'a', body }));
    expect(await signSlackWith(webBackend, { signingSecret: 'a', timestamp: 1, body })).toEqual(await signSlack({ signingSecret: 'a', timestamp: 1, body }));
  });
});

describe('signer options', () => {
  it('throw ERR_HOOKGUARD_INVALID_OPTIONS for an empty secret or a timestamp in milliseconds', async () => {
    await expect(signGitHub({ secret: '', body: BODY })).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' });
    await expect(signStripe({ secret: 'whsec_a', body: BODY, timestamp: Date.now() })).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' });
    await expect(signSlack({ signingSecret: 'a', body: BODY, timestamp: 1.5 })).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' });
  });
});
