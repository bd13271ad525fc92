import { describe, expect, it } from 'vitest';
import { asWebhookHeaders, toWebhookHeaders, type WebhookHeaders } from './headers.js';

describe('asWebhookHeaders', () => {
  it("reads a plain object as Node's req.headers is: any case, list values joined, undefined values absent", () => {
    const headers = asWebhookHeaders({ 'x-github-event': 'issues', 'X-Forwarded-For': ['10.0.0.1', '10.0.0.2'], 'x-absent': undefined });
    expect(headers.get('X-GitHub-Event')).toBe('issues');
    expect(headers.get('x-forwarded-for')).toBe('10.0.0.1, 10.0.0.2');
    expect(headers.get('x-absent')).toBeUndefined();
    expect(headers.get('x-missing')).toBeUndefined();
  });

  it('reads a Web Headers, answering a missing header with undefined rather than null', () => {
    const headers = asWebhookHeaders(new Headers({ 'Webhook-Id': 'msg_1' }));
    expect(headers.get('webhook-id')).toBe('msg_1');
    expect(headers.get('webhook-signature')).toBeUndefined();
    expect(headers.toJSON()).toEqual({ 'webhook-id': 'msg_1' });
  });

  it('passes a WebhookHeaders view through as it is', () => {
    const view = toWebhookHeaders({ a: '1' });
    expect(asWebhookHeaders(view)).toBe(view);
    const custom: WebhookHeaders = { get: (name) => (name === 'a' ? '1' : undefined), toJSON: () => ({ a: '1' }) };
    expect(asWebhookHeaders(custom)).toBe(custom);
  });

  it.each([undefined, null, 'webhook-id: msg_1', 42])('refuses %j with ERR_HOOKGUARD_INVALID_INPUT, never a TypeError', (input) => {
    expect(() => asWebhookHeaders(input)).toThrow(expect.objectContaining({ code: 'ERR_HOOKGUARD_INVALID_INPUT', status: 500 }));
  });

  it('refuses an object whose get() is neither a Web Headers nor a WebhookHeaders', () => {
    expect(() => asWebhookHeaders({ get: () => null })).toThrow(expect.objectContaining({ code: 'ERR_HOOKGUARD_INVALID_INPUT' }));
    // A Map has get() and forEach() too, but matches names by case: it would read as missing headers (400).
    expect(() => asWebhookHeaders(new Map([['Webhook-Id', 'msg_1']]))).toThrow(
      expect.objectContaining({ code: 'ERR_HOOKGUARD_INVALID_INPUT', message: expect.stringMatching(/a Map.*new Headers\(map\)/) }),
    );
  });
});
