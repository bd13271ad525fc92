/**
 * A random 32-bit unsigned integer from the runtime's CSPRNG (Web Crypto `getRandomValues`, on
 * every runtime hookguard supports), so filter seeds differ per process and per generation.
 */
export function randomSeed(): number {
  return globalThis.crypto.getRandomValues(new Uint32Array(1))[0]!;
}
