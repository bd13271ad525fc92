import { describe, expect, it } from 'vitest';
import { decodeFormBody, decodeJsonBody, readString } from './decode-body.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('decodeJsonBody', () => {
  it('parses a UTF-8 JSON body, with or without a byte order mark', () => {
    expect(decodeJsonBody(bytes('{"a":"é"}'))).toEqual({ payload: { a: 'é' } });
    expect(decodeJsonBody(bytes('\uFEFF{"a":1}'))).toEqual({ payload: { a: 1 } });
  });

  it('reports an empty body, or one that is only a byte order mark, as ERR_HOOKGUARD_EMPTY_BODY', () => {
    expect(decodeJsonBody(new Uint8Array()).bodyError?.code).toBe('ERR_HOOKGUARD_EMPTY_BODY');
    expect(decodeJsonBody(new Uint8Array([0xef, 0xbb, 0xbf])).bodyError?.code).toBe('ERR_HOOKGUARD_EMPTY_BODY');
  });

  it.each([
    ['a lone continuation byte', [0x7b, 0x80, 0x7d]],
    ['an overlong encoding', [0x22, 0xc0, 0xaf, 0x22]],
    ['a truncated sequence', [0x22, 0xe2, 0x82]],
    ['an encoded surrogate', [0x22, 0xed, 0xa0, 0x80, 0x22]],
  ])('refuses %s with ERR_HOOKGUARD_INVALID_BODY instead of inventing characters', (_, raw) => {
    const decoded = decodeJsonBody(new Uint8Array(raw));
    expect(decoded.bodyError?.code).toBe('ERR_HOOKGUARD_INVALID_BODY');
    expect(decoded.payload).toBeUndefined();
  });

  it('reports invalid JSON without quoting any of it', () => {
    const decoded = decodeJsonBody(bytes('{"card":"4242424242424242", oops}'));
    expect(decoded.bodyError?.code).toBe('ERR_HOOKGUARD_INVALID_BODY');
    expect(decoded.bodyError?.message).not.toContain('4242');
    expect(decoded.bodyError?.cause).toBeUndefined();
  });

  it('keeps __proto__ as an own property and pollutes no prototype', () => {
    const { payload } = decodeJsonBody(bytes('{"__proto__":{"polluted":true},"a":{"__proto__":{"polluted":true}}}'));
    expect(Object.hasOwn(payload as object, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(payload)).toBe(Object.prototype);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('decodeFormBody', () => {
  it('decodes form fields, + as space and percent escapes, the last repeated field winning', () => {
    expect(decodeFormBody(bytes('a=1&b=hello+world&c=%2Fdeploy&a=2')).payload).toEqual({ a: '2', b: 'hello world', c: '/deploy' });
  });

  it('keeps a field named __proto__ as a field', () => {
    const { payload } = decodeFormBody(bytes('__proto__=x&constructor=y'));
    expect(Object.hasOwn(payload as object, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(payload)).toBe(Object.prototype);
    expect((payload as Record<string, unknown>)['constructor']).toBe('y');
  });

  it('reports an empty form body as ERR_HOOKGUARD_EMPTY_BODY', () => {
    expect(decodeFormBody(new Uint8Array()).bodyError?.code).toBe('ERR_HOOKGUARD_EMPTY_BODY');
  });
});

describe('readString', () => {
  it('reads own string and number properties only', () => {
    expect(readString({ id: 'evt_1' }, 'id')).toBe('evt_1');
    expect(readString({ id: 42 }, 'id')).toBe('42');
    expect(readString({ id: '' }, 'id')).toBeUndefined();
    expect(readString({ id: null }, 'id')).toBeUndefined();
    expect(readString({ id: Number.NaN }, 'id')).toBeUndefined();
    expect(readString({}, 'toString')).toBeUndefined();
    expect(readString(['a'], '0')).toBe('a');
    expect(readString('text', 'length')).toBeUndefined();
    expect(readString(undefined, 'id')).toBeUndefined();
  });
});
