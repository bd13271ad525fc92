import { createHmac } from 'node:crypto';
import { sign, verify as verifyWithSdk } from '@octokit/webhooks-methods';
import { describe, expect, it } from 'vitest';
import { toWebhookHeaders } from '../http/headers.js';
import { github } from './github.js';
import type { VerifiedDelivery, Verifier } from './verifier.js';

const SECRET = 'github-webhook-secret';

async function deliver(verifier: Verifier, body: string, headers: Record<string, string> = {}): Promise<VerifiedDelivery> {
  const all = { 'X-Hub-Signature-256': await sign(SECRET, body), 'X-GitHub-Delivery': 'f0a1b2c3-0000-11ee-8000-000000000001', ...headers };
  return verifier.verify({ rawBody: new TextEncoder().encode(body), headers: toWebhookHeaders(all) });
}

describe('github()', () => {
  const verifier = github({ secret: SECRET });

  it("accepts GitHub's documented example delivery", async () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    const documented = github({ secret: "It's a Secret to Everybody" });
    const delivery = await documented.verify({
      rawBody: new TextEncoder().encode('Hello, World!'),
      headers: toWebhookHeaders({
        'X-Hub-Signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
        'X-GitHub-Event': 'ping',
        'X-GitHub-Delivery': 'd1',
      }),
    });
    expect(delivery).toMatchObject({ id: 'd1', type: 'ping', payload: undefined });
    expect(delivery.bodyError?.code).toBe('ERR_HOOKGUARD_INVALID_BODY');
  });

  it('reads a delivery GitHub sends form-encoded (content type application/x-www-form-urlencoded): its JSON in the payload field', async () => {
    const json = JSON.stringify({ action: 'opened', issue: { title: 'Ünïcode & more = 100%+' } });
    const delivery = await deliver(verifier, `payload=${encodeURIComponent(json)}`, { 'X-GitHub-Event': 'issues' });
    expect(delivery).toMatchObject({ type: 'issues.opened', alias: 'issues', payload: JSON.parse(json) });
    expect(delivery.bodyError).toBeUndefined();
    // `+` for a space, as HTML forms write it.
    const spaced = await deliver(verifier, 'payload=%7B%22zen%22%3A%22Keep+it+simple%22%7D', { 'X-GitHub-Event': 'ping' });
    expect(spaced).toMatchObject({ type: 'ping', payload: { zen: 'Keep it simple' } });
  });

  it('refuses a form body without a payload field, or whose payload is not JSON, as an invalid body naming the content types', async () => {
    for (const body of ['zen=hello', 'payload=not%20json']) {
      const delivery = await deliver(verifier, body, { 'X-GitHub-Event': 'ping' });
      expect(delivery.bodyError?.code).toBe('ERR_HOOKGUARD_INVALID_BODY');
    }
    expect((await deliver(verifier, 'zen=hello', { 'X-GitHub-Event': 'ping' })).bodyError?.message).toMatch(/application\/json.*payload.*x-www-form-urlencoded/);
  });

  it('types an event with an action as `event.action`, and one without as just the event', async () => {
    await expect(deliver(verifier, '{"action":"opened"}', { 'X-GitHub-Event': 'issues' })).resolves.toMatchObject({ type: 'issues.opened' });
    await expect(deliver(verifier, '{"zen":"Keep it logically awesome.","hook_id":1}', { 'X-GitHub-Event': 'ping' })).resolves.toMatchObject({
      type: 'ping',
    });
    await expect(deliver(verifier, '{"ref":"refs/heads/main"}', { 'X-GitHub-Event': 'push' })).resolves.toMatchObject({ type: 'push' });
  });

  it("aliases `event.action` to its event, so on('issues') receives issues.opened as with @octokit/webhooks", async () => {
    await expect(deliver(verifier, '{"action":"opened"}', { 'X-GitHub-Event': 'issues' })).resolves.toMatchObject({
      type: 'issues.opened',
      alias: 'issues',
    });
    const push = await deliver(verifier, '{"ref":"refs/heads/main"}', { 'X-GitHub-Event': 'push' });
    expect(push.type).toBe('push');
    expect(push.alias).toBeUndefined();
  });

  it('rejects a delivery without X-GitHub-Event as malformed (400), not as an event nobody handles', async () => {
    for (const event of [undefined, '']) {
      const error = await deliver(verifier, '{"action":"opened"}', event === undefined ? {} : { 'X-GitHub-Event': event }).catch((reason: unknown) => reason);
      expect(error).toMatchObject({ code: 'ERR_HOOKGUARD_MISSING_HEADER', status: 400 });
      expect((error as Error).message).toContain('X-GitHub-Event');
    }
  });

  it('uses X-GitHub-Delivery as the id, and has no signed timestamp, so no replay window', async () => {
    const delivery = await deliver(verifier, '{}', { 'X-GitHub-Event': 'ping' });
    expect(delivery.id).toBe('f0a1b2c3-0000-11ee-8000-000000000001');
    expect(delivery.timestamp).toBeUndefined();
    expect(verifier.toleranceMs).toBeUndefined();
  });

  it('rejects a SHA-1-only delivery with ERR_HOOKGUARD_NO_SUPPORTED_SIGNATURE', async () => {
    const body = '{"action":"opened"}';
    const sha1 = `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}`;
    const error = await verifier
      .verify({ rawBody: new TextEncoder().encode(body), headers: toWebhookHeaders({ 'X-Hub-Signature': sha1, 'X-GitHub-Event': 'issues' }) })
      .catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'ERR_HOOKGUARD_NO_SUPPORTED_SIGNATURE', status: 400 });
    expect((error as Error).message).toContain('SHA-1');
  });

  it('ignores X-Hub-Signature when X-Hub-Signature-256 is there and wrong', async () => {
    const body = '{}';
    const sha1 = `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}`;
    await expect(
      verifier.verify({
        rawBody: new TextEncoder().encode(body),
        headers: toWebhookHeaders({ 'X-Hub-Signature': sha1, 'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}` }),
      }),
    ).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH' });
  });

  it('rejects a signature without its sha256= prefix with ERR_HOOKGUARD_MALFORMED_HEADER', async () => {
    const signature = (await sign(SECRET, '{}')).replace('sha256=', 'sha1=');
    await expect(
      verifier.verify({ rawBody: new TextEncoder().encode('{}'), headers: toWebhookHeaders({ 'X-Hub-Signature-256': signature }) }),
    ).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_MALFORMED_HEADER' });
  });

  it('rejects an upper-case hex signature, as the GitHub SDK does', async () => {
    const upper = `sha256=${(await sign(SECRET, '{}')).slice(7).toUpperCase()}`;
    expect(await verifyWithSdk(SECRET, '{}', upper)).toBe(false);
    await expect(
      verifier.verify({ rawBody: new TextEncoder().encode('{}'), headers: toWebhookHeaders({ 'X-Hub-Signature-256': upper }) }),
    ).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH' });
  });

  it('keeps delivery ids 3 days (the redelivery window on github.com), or as configured for GHES', () => {
    expect(verifier.name).toBe('github');
    expect(verifier.retentionMs).toBe(3 * 24 * 3_600_000);
    expect(github({ secret: SECRET, retentionMs: 7 * 24 * 3_600_000 }).retentionMs).toBe(7 * 24 * 3_600_000);
  });
});
