// Runtime-neutral encoders: no Buffer, no atob on the hot path (atob throws on bad input, and
// signature headers are attacker-controlled).
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let index = 0; index < BASE64.length; index++) DECODE[BASE64.charCodeAt(index)] = index;
DECODE['-'.charCodeAt(0)] = 62;
DECODE['_'.charCodeAt(0)] = 63;

/** The chunks as one array; a single chunk is returned as it is, without a copy. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let length = 0;
  for (const chunk of chunks) length += chunk.byteLength;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Decodes standard or URL-safe base64, padding optional. `undefined` when the text is not base64. */
export function bytesFromBase64(text: string): Uint8Array | undefined {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  if (text.length - end > 2 || end % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let offset = 0;
  for (let index = 0; index < end; index++) {
    const code = text.charCodeAt(index);
    const value = code < 128 ? (DECODE[code] ?? -1) : -1;
    if (value < 0) return undefined;
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[offset++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
}

/** Encodes bytes as standard base64 with padding. */
export function base64FromBytes(bytes: Uint8Array): string {
  let out = '';
  let index = 0;
  for (; index + 2 < bytes.length; index += 3) {
    const n = ((bytes[index] ?? 0) << 16) | ((bytes[index + 1] ?? 0) << 8) | (bytes[index + 2] ?? 0);
    out += BASE64[n >> 18]! + BASE64[(n >> 12) & 63]! + BASE64[(n >> 6) & 63]! + BASE64[n & 63]!;
  }
  const rest = bytes.length - index;
  if (rest > 0) {
    const n = ((bytes[index] ?? 0) << 16) | (rest === 2 ? (bytes[index + 1] ?? 0) << 8 : 0);
    out += BASE64[n >> 18]! + BASE64[(n >> 12) & 63]! + (rest === 2 ? BASE64[(n >> 6) & 63]! : '=') + '=';
  }
  return out;
}

/** Encodes bytes as base64url without padding. */
export function base64UrlFromBytes(bytes: Uint8Array): string {
  return base64FromBytes(bytes).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Decodes lower- or upper-case hex. `undefined` when the text is not an even run of hex digits. */
export function bytesFromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let index = 0; index < out.length; index++) {
    const high = hexValue(text.charCodeAt(index * 2));
    const low = hexValue(text.charCodeAt(index * 2 + 1));
    if (high < 0 || low < 0) return undefined;
    out[index] = (high << 4) | low;
  }
  return out;
}

const HEX_DIGIT_CODES = new TextEncoder().encode('0123456789abcdef');
const asciiDecoder = new TextDecoder('latin1');
let hexScratch = new Uint8Array(128);

/**
 * Encodes bytes as lower-case hex. The digits are written into a reused buffer and decoded once:
 * concatenating two characters per byte allocated nine times as much for a 32-byte digest (the
 * dedup key of every GitHub delivery).
 */
export function hexFromBytes(bytes: Uint8Array): string {
  if (hexScratch.length < bytes.length * 2) hexScratch = new Uint8Array(bytes.length * 2);
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index]!;
    hexScratch[2 * index] = HEX_DIGIT_CODES[byte >> 4]!;
    hexScratch[2 * index + 1] = HEX_DIGIT_CODES[byte & 15]!;
  }
  return asciiDecoder.decode(hexScratch.subarray(0, bytes.length * 2));
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Strict UTF-8 decoding, on any runtime: a leading byte order mark is dropped, malformed bytes
 * throw a TypeError. `#crypto`'s `decodeUtf8` is this, with a faster path for ASCII on Node.
 */
export function decodeStrictUtf8(bytes: Uint8Array): string {
  return strictUtf8.decode(bytes);
}
