/**
 * What one remembered id costs the collector, by how its key and value are held: a million ids in a
 * `Map`, each key `<namespace>:<id>` made from an id string of its own (as a header parser makes
 * it), measured from a collected heap to a collected heap, then the time of a full collection with
 * the map alive. Three ways of holding them:
 *
 * - `pair, number`: the key as `prefix + id` (V8 keeps a pair of pointers to both parts, a cons
 *   string, so the id string stays alive beside it), the value a number above 2^31 (an object of
 *   its own): what the memory store kept until 2026-12-04;
 * - `flat, number`: the key joined into one flat string, the same value;
 * - `flat, small integer`: the key joined, the value below 2^30 (kept inside the map's table):
 *   what the memory store keeps now (`store/memory-store.ts`, `receiver/dedup-key.ts`).
 *
 *   node --expose-gc --import tsx bench/src/diagnostics/retained-keys.ts [--ids 1000000]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { ids: { type: 'string', default: '1000000' } } });
const ids = Number(values.ids);
const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) throw new Error('run with node --expose-gc');

type Holding = 'pair, number' | 'flat, number' | 'flat, small integer';
const PREFIX = 'standard-webhooks:';

function fill(holding: Holding): Map<string, number> {
  const map = new Map<string, number>();
  const scratch = Buffer.alloc(36);
  for (let index = 0; index < ids; index++) {
    scratch.write(`msg_${randomUUID().replaceAll('-', '')}`, 'latin1');
    const id = scratch.toString('latin1');
    const key = holding === 'pair, number' ? PREFIX + id : [PREFIX, id].join('');
    map.set(key, holding === 'flat, small integer' ? index & 0x3fff_ffff : 1_764_000_000_000 * 2 + index);
  }
  return map;
}

function settledHeap(): number {
  collect!();
  collect!();
  return process.memoryUsage().heapUsed;
}

/** Heap bytes per id and the median full collection with the map alive; the map dies on return. */
function measure(holding: Holding): { bytes: number; collectionMs: number } {
  const before = settledHeap();
  const map = fill(holding);
  const bytes = (settledHeap() - before) / map.size;
  const times: number[] = [];
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint();
    collect!();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { bytes, collectionMs: times[2]! };
}

console.log(`${ids.toLocaleString('en-US')} ids per map; bytes per id include the key string`);
for (const holding of ['pair, number', 'flat, number', 'flat, small integer'] as const) {
  const { bytes, collectionMs } = measure(holding);
  console.log(`${holding.padEnd(20)} ${bytes.toFixed(1).padStart(6)} B/id   full collection ${collectionMs.toFixed(1).padStart(6)} ms (median of 5)`);
}
