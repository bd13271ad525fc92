import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cryptoBackend as nodeBackend } from '../crypto/node.js';
import { cryptoBackend as webBackend } from '../crypto/web.js';
import type { CryptoBackend, HmacAlgorithm } from '../crypto/index.js';
import { createHmacMatcher, type SignatureEncoding } from './hmac-matcher.js';

const ALGORITHMS: readonly HmacAlgorithm[] = ['SHA-256', 'SHA-512', 'SHA-1'];
const ENCODINGS: readonly SignatureEncoding[] = ['hex', 'base64'];
const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const SECRET = new TextEncoder().encode('a secret key');
const CONTENT = ['1700000000.', new TextEncoder().encode('{"id":"evt_1"}')];

function reference(algorithm: HmacAlgorithm, secret: Uint8Array, content: readonly (string | Uint8Array)[]): Buffer {
  const hmac = createHmac(algorithm.replace('-', '').toLowerCase(), secret);
  for (const part of content) hmac.update(part);
  return hmac.digest();
}

/** The canonical spellings of a digest: lower-case hex; standard base64 with or without its padding. */
function spellings(digest: Buffer, encoding: SignatureEncoding): string[] {
  if (encoding === 'hex') return [digest.toString('hex')];
  const padded = digest.toString('base64');
  return [padded, padded.replace(/=+$/, '')];
}

describe('createHmacMatcher', () => {
  it.each([nodeBackend, webBackend])('$name accepts every canonical spelling and answers the HMAC as padded text', async (backend) => {
    for (const algorithm of ALGORITHMS) {
      const digest = reference(algorithm, SECRET, CONTENT);
      for (const encoding of ENCODINGS) {
        const matcher = createHmacMatcher(backend, algorithm, [SECRET], encoding);
        for (const spelling of spellings(digest, encoding)) {
          expect(await matcher(CONTENT, [spelling])).toBe(digest.toString(encoding));
        }
      }
    }
  });

  it('accepts a changed spelling only when it is still canonical: any one character replaced, added or removed', () => {
    const characters = fc.constantFrom(...`${BASE64_ALPHABET}=-_ ABCDEFG\u0660ǅ`);
    fc.assert(
      fc.property(
        fc.constantFrom(...ALGORITHMS),
        fc.constantFrom(...ENCODINGS),
        fc.uint8Array({ maxLength: 200 }),
        fc.nat(),
        characters,
        fc.constantFrom('replace', 'insert', 'remove'),
        (algorithm, encoding, secret, at, character, change) => {
          const digest = reference(algorithm, secret, CONTENT);
          const canonical = spellings(digest, encoding);
          const text = canonical[at % canonical.length]!;
          const index = at % (text.length + 1);
          const changed =
            change === 'replace' ? text.slice(0, index) + character + text.slice(index + 1) : change === 'insert' ? text.slice(0, index) + character + text.slice(index) : text.slice(0, index) + text.slice(index + 1);
          const matched = createHmacMatcher(nodeBackend, algorithm, [secret], encoding)(CONTENT, [changed]);
          expect(matched !== undefined).toBe(canonical.includes(changed));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('gives every signature exactly one accepted spelling in base64: unused trailing bits must be zero', () => {
    for (const algorithm of ALGORITHMS) {
      const matcher = createHmacMatcher(nodeBackend, algorithm, [SECRET], 'base64');
      const unpadded = reference(algorithm, SECRET, CONTENT).toString('base64').replace(/=+$/, '');
      const last = unpadded.length - 1;
      const accepted = [...BASE64_ALPHABET].filter((character) => matcher(CONTENT, [unpadded.slice(0, last) + character]) !== undefined);
      expect(accepted).toEqual([unpadded[last]]);
    }
  });

  it.each([
    ['upper-case hex', 'SHA-256', 'hex', (digest: Buffer) => digest.toString('hex').toUpperCase()],
    ['hex of another length', 'SHA-256', 'hex', (digest: Buffer) => digest.toString('hex').slice(1)],
    ['hex with Arabic-Indic digits', 'SHA-1', 'hex', (digest: Buffer) => `${digest.toString('hex').slice(0, -2)}\u0660\u0661`],
    ['too much padding', 'SHA-256', 'base64', (digest: Buffer) => `${digest.toString('base64')}=`],
    ['a misplaced padding character', 'SHA-512', 'base64', (digest: Buffer) => `${digest.toString('base64').slice(0, -2)}A=`],
    ['half the padding', 'SHA-512', 'base64', (digest: Buffer) => digest.toString('base64').slice(0, -1)],
    ['a space', 'SHA-256', 'base64', (digest: Buffer) => ` ${digest.toString('base64').slice(1)}`],
    ['the bytes as latin1 text', 'SHA-256', 'base64', (digest: Buffer) => digest.toString('latin1')],
    ['nothing', 'SHA-256', 'hex', () => ''],
  ] as const)('refuses %s', async (_, algorithm, encoding, spell) => {
    const candidate = spell(reference(algorithm, SECRET, CONTENT));
    for (const backend of [nodeBackend, webBackend]) {
      expect(await createHmacMatcher(backend, algorithm, [SECRET], encoding)(CONTENT, [candidate])).toBeUndefined();
    }
  });

  it('refuses URL-safe base64', async () => {
    // Content whose HMAC's base64 has a + or a /, which the URL-safe alphabet writes otherwise.
    let content = 0;
    while (!/[+/]/.test(reference('SHA-256', SECRET, [String(content)]).toString('base64'))) content++;
    const digest = reference('SHA-256', SECRET, [String(content)]);
    for (const backend of [nodeBackend, webBackend]) {
      const matcher = createHmacMatcher(backend, 'SHA-256', [SECRET], 'base64');
      expect(await matcher([String(content)], [digest.toString('base64')])).toBeDefined();
      expect(await matcher([String(content)], [digest.toString('base64url')])).toBeUndefined();
    }
  });

  it.each([nodeBackend, webBackend])('$name tries every key and every candidate: a rotated secret and one good signature among bad ones match', async (backend) => {
    const old = new TextEncoder().encode('the old secret');
    const good = reference('SHA-256', SECRET, CONTENT).toString('hex');
    const wrong = reference('SHA-256', new TextEncoder().encode('another'), CONTENT).toString('hex');
    const matcher = createHmacMatcher(backend, 'SHA-256', [old, SECRET], 'hex');
    expect(await matcher(CONTENT, [wrong, 'zz', good])).toBe(good);
    expect(await matcher(CONTENT, [wrong])).toBeUndefined();
    expect(await matcher(CONTENT, [])).toBeUndefined();
  });

  it('signs nothing when no candidate has the length of a spelling of the digest', () => {
    let signed = 0;
    const counting: CryptoBackend = {
      ...nodeBackend,
      importHmacKey(algorithm, secret) {
        const key = nodeBackend.importHmacKey(algorithm, secret);
        return { ...key, signText: (parts, encoding) => (signed++, key.signText(parts, encoding)) };
      },
    };
    const matcher = createHmacMatcher(counting, 'SHA-256', [SECRET], 'base64');
    expect(matcher(CONTENT, ['short', 'x'.repeat(45)])).toBeUndefined();
    expect(signed).toBe(0);
    expect(matcher(CONTENT, ['x'.repeat(43)])).toBeUndefined();
    expect(signed).toBe(1);
  });
});
