import { describe, expect, it } from 'vitest';
import { describeError } from './describe-error.js';
import { WebhookError } from './webhook-error.js';

describe('describeError()', () => {
  it('names the code of a WebhookError and the class of another Error', () => {
    expect(describeError(new WebhookError('ERR_HOOKGUARD_STORE_UNAVAILABLE', 'Redis is down'))).toBe('ERR_HOOKGUARD_STORE_UNAVAILABLE: Redis is down');
    expect(describeError(new TypeError('fetch failed'))).toBe('TypeError: fetch failed');
    expect(describeError(new Error(''))).toBe('Error');
    expect(describeError('plain string')).toBe('plain string');
    expect(describeError(undefined)).toBe('undefined');
    expect(describeError(null)).toBe('null');
    expect(describeError(Symbol('boom'))).toBe('Symbol(boom)');
    expect(describeError(12n)).toBe('12');
  });

  it('describes values whose string form throws, instead of throwing', () => {
    class Unreadable extends Error {
      override get message(): string {
        throw new Error('message getter threw');
      }
    }
    const nameThrows = new Error('x');
    Object.defineProperty(nameThrows, 'name', { get: () => { throw new Error('name getter threw'); } });
    const toStringThrows = { toString: () => { throw new Error('toString threw'); } };
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(describeError(Object.create(null))).toBe('[object without a string form]');
    expect(describeError(new Unreadable())).toBe('[object without a string form]');
    expect(describeError(nameThrows)).toBe('[object without a string form]');
    expect(describeError(toStringThrows)).toBe('[object without a string form]');
    expect(describeError(proxy)).toBe('[object without a string form]');
    const messageIsObject = new Error('x');
    Object.defineProperty(messageIsObject, 'message', { value: Object.create(null) });
    expect(describeError(messageIsObject)).toBe('[object without a string form]');
  });

  it('bounds the description to 1 000 characters without splitting a surrogate pair', () => {
    expect(describeError(new Error('x'.repeat(5_000)))).toHaveLength(1_000);
    const emoji = describeError('a' + '😀'.repeat(2_000));
    expect(emoji.length).toBeLessThanOrEqual(1_000);
    expect(emoji.endsWith('😀…')).toBe(true);
  });
});
