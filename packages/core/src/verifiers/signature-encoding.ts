// Strict decoders for received signatures. The ones in crypto/encoding.ts are lenient (URL-safe
// alphabet, either hex case, any trailing bits), which would let two different header values
// stand for the same signature. Providers' SDKs compare the encoded strings, so accepting only the
// canonical encoding keeps us exactly as strict as they are while still comparing bytes.

/** How a signature is written in its header. */
export type SignatureEncoding = 'hex' | 'base64';

const INVALID = 255;
const BASE64_VALUE = new Uint8Array(128).fill(INVALID);
const HEX_VALUE = new Uint8Array(128).fill(INVALID);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  .split('')
  .forEach((char, index) => (BASE64_VALUE[char.charCodeAt(0)] = index));
'0123456789abcdef'.split('').forEach((char, index) => (HEX_VALUE[char.charCodeAt(0)] = index));

// Decoded signatures are small and short-lived: each gets a view into a shared block instead of
// a memory block of its own, which on Node costs more than decoding it (bench: verify-breakdown).
// Signatures are not secret, so sharing a block with other requests' signatures leaks nothing.
const POOL_BYTES = 8192;
const MAX_POOLED_BYTES = 128;
let pool = new ArrayBuffer(POOL_BYTES);
let poolOffset = 0;

function allocate(length: number): Uint8Array {
  if (length > MAX_POOLED_BYTES) return new Uint8Array(length);
  if (poolOffset + length > POOL_BYTES) {
    pool = new ArrayBuffer(POOL_BYTES);
    poolOffset = 0;
  }
  const view = new Uint8Array(pool, poolOffset, length);
  // Every view starts on an 8-byte boundary, as Node's own pool does.
  poolOffset += (length + 7) & ~7;
  return view;
}

/** Lower-case hex to bytes; `undefined` for anything else (upper case included). */
export function decodeLowerHex(text: string): Uint8Array | undefined {
  const length = text.length;
  if (length === 0 || (length & 1) !== 0) return undefined;
  const out = allocate(length >> 1);
  for (let index = 0; index < length; index += 2) {
    const high = text.charCodeAt(index);
    const low = text.charCodeAt(index + 1);
    if (((high | low) & ~0x7f) !== 0) return undefined;
    const highValue = HEX_VALUE[high]!;
    const lowValue = HEX_VALUE[low]!;
    if ((highValue | lowValue) > 15) return undefined;
    out[index >> 1] = (highValue << 4) | lowValue;
  }
  return out;
}

/**
 * Standard-alphabet base64 to bytes, padding optional but correct when present, unused trailing
 * bits zero; `undefined` for anything else.
 */
export function decodeCanonicalBase64(text: string): Uint8Array | undefined {
  let end = text.length;
  if (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) {
    end--;
    if (end > 0 && text.charCodeAt(end - 1) === 61) end--;
  }
  const rest = end & 3;
  if (end === 0 || rest === 1 || (end !== text.length && ((text.length & 3) !== 0))) return undefined;
  const out = allocate((end * 3) >> 2);
  const full = end - rest;
  let offset = 0;
  for (let index = 0; index < full; index += 4) {
    const a = text.charCodeAt(index);
    const b = text.charCodeAt(index + 1);
    const c = text.charCodeAt(index + 2);
    const d = text.charCodeAt(index + 3);
    if (((a | b | c | d) & ~0x7f) !== 0) return undefined;
    const va = BASE64_VALUE[a]!;
    const vb = BASE64_VALUE[b]!;
    const vc = BASE64_VALUE[c]!;
    const vd = BASE64_VALUE[d]!;
    if ((va | vb | vc | vd) > 63) return undefined;
    const bits = (va << 18) | (vb << 12) | (vc << 6) | vd;
    out[offset++] = bits >> 16;
    out[offset++] = (bits >> 8) & 0xff;
    out[offset++] = bits & 0xff;
  }
  if (rest === 0) return out;
  const a = text.charCodeAt(full);
  const b = text.charCodeAt(full + 1);
  const c = rest === 3 ? text.charCodeAt(full + 2) : 65; /* A: value 0 */
  if (((a | b | c) & ~0x7f) !== 0) return undefined;
  const va = BASE64_VALUE[a]!;
  const vb = BASE64_VALUE[b]!;
  const vc = BASE64_VALUE[c]!;
  if ((va | vb | vc) > 63) return undefined;
  const bits = (va << 18) | (vb << 12) | (vc << 6);
  // The bits past the last whole byte must be zero, or two encodings would mean one signature.
  if ((rest === 2 ? bits & 0xffff : bits & 0xff) !== 0) return undefined;
  out[offset++] = bits >> 16;
  if (rest === 3) out[offset] = (bits >> 8) & 0xff;
  return out;
}

/** Decodes a received signature in `encoding`; `undefined` when it is not canonical. */
export function decodeSignature(text: string, encoding: SignatureEncoding): Uint8Array | undefined {
  return encoding === 'hex' ? decodeLowerHex(text) : decodeCanonicalBase64(text);
}
