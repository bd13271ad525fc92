const encoder = new TextEncoder();

/** A request body as adapters hand it over. */
export type RawBodyInput = Uint8Array | ArrayBuffer | string;

/**
 * Normalises a body to bytes. Strings are encoded as UTF-8; callers that have the original bytes
 * should pass them, since a signature is over bytes and re-encoding a decoded string can change them.
 */
export function toBytes(body: RawBodyInput): Uint8Array {
  if (typeof body === 'string') return encoder.encode(body);
  if (body instanceof Uint8Array) return body;
  return new Uint8Array(body);
}
