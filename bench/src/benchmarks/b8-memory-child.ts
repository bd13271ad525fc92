// Measures the heap a structure holding `count` ids needs, in a process of its own so nothing
// else grows in the heap meanwhile. Run by B8 with --expose-gc: argv[2] is the count, argv[3] the
// rounds; each round builds a Map and a MemoryStore (alternating which goes first), each measured
// from a collected heap to a collected heap and dropped before the next.
import { MemoryStore } from '@hookguard/core';

const RETENTION_MS = 4 * 24 * 60 * 60 * 1000;
const LEASE_MS = 60_000;
// What the receiver passes to an exact store: the body's SHA-256, base64url.
const FINGERPRINT = 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg';

const count = Number(process.argv[2]);
const rounds = Number(process.argv[3]);
const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) throw new Error('run with --expose-gc');

function settledHeap(): number {
  collect!();
  collect!();
  return process.memoryUsage().heapUsed;
}

// The receiver's key: `<namespace>:<webhook-id>`, a fresh string per delivery, joined into one
// flat string as the receiver joins it (receiver/dedup-key.ts).
const key = (round: number, index: number): string => ['standard-webhooks:', `msg_${round}${index.toString(36).padStart(8, '0')}2KWPBgLlAfxdpx2AI5`].join('');

async function measure(mode: 'map' | 'store', round: number): Promise<number> {
  const before = settledHeap();
  let held: Map<string, number> | MemoryStore;
  if (mode === 'map') {
    const map = new Map<string, number>();
    const expiresAt = Date.now() + RETENTION_MS;
    for (let index = 0; index < count; index++) map.set(key(round, index), expiresAt + index);
    held = map;
  } else {
    const store = new MemoryStore();
    for (let index = 0; index < count; index++) {
      const id = key(round, index);
      const claim = await store.claim(id, { leaseMs: LEASE_MS, retentionMs: RETENTION_MS, fingerprint: FINGERPRINT });
      if (claim.status !== 'claimed') throw new Error(`claim of a new key answered ${claim.status}`);
      await store.complete(id, claim.token, { retentionMs: RETENTION_MS });
    }
    held = store;
  }
  const after = settledHeap();
  if (held.size !== count) throw new Error(`${mode} holds ${held.size} records, not ${count}`);
  if (held instanceof MemoryStore) await held.close();
  return (after - before) / count;
}

const map: number[] = [];
const store: number[] = [];
for (let round = 0; round < rounds; round++) {
  for (const mode of round % 2 === 0 ? (['map', 'store'] as const) : (['store', 'map'] as const)) {
    (mode === 'map' ? map : store).push(await measure(mode, round));
  }
}
process.send?.({ map, store });
