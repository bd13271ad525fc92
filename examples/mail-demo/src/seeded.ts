/**
 * A number in [0, 1) fixed by `seed`, a `label` and a `key`: the same inputs give the same number
 * whatever order the concurrent deliveries run in, so a seed reproduces every injected fault.
 */
export function chance(seed: number, label: string, key: string | number): number {
  // FNV-1a over the text, then a murmur3 finaliser to spread nearby inputs apart.
  const text = `${seed}:${label}:${key}`;
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 2 ** 32;
}

/** An integer in [min, max], fixed like {@link chance}. */
export function pick(seed: number, label: string, key: string | number, min: number, max: number): number {
  return min + Math.floor(chance(seed, label, key) * (max - min + 1));
}
