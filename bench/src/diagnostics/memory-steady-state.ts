/**
 * The memory store under a sustained stream of new events with a short retention: does the heap
 * stay flat once the retention is reached? Claims and completes 1,000,000 new ids (as the receiver
 * does, with a fingerprint) on an injected clock advancing 1 ms per event, with a retention of
 * 10 s (10,000 live ids at steady state) and no timed sweep in between, and prints the collected
 * heap every 100,000 events beside the store's size.
 *
 *   npm run build && node --expose-gc --import tsx bench/src/diagnostics/memory-steady-state.ts [--events 1000000] [--core <package dir>]
 *
 * `--core` loads another build of @hookguard/core (a directory holding `package.json` and `dist/`),
 * e.g. one from before a change.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Core from '@hookguard/core';

const coreIndex = process.argv.indexOf('--core');
const { MemoryStore } = (
  coreIndex >= 0 ? await import(pathToFileURL(resolve(process.argv[coreIndex + 1]!, 'dist/index.js')).href) : await import('@hookguard/core')
) as typeof Core;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with node --expose-gc --import tsx');
  process.exit(2);
}
const eventsIndex = process.argv.indexOf('--events');
const EVENTS = eventsIndex >= 0 ? Number(process.argv[eventsIndex + 1]) : 1_000_000;
const CHECKPOINT = EVENTS / 10;
const RETENTION_MS = 10_000;
const LEASE_MS = 1_000;
// A SHA-256 in base64url, as the receiver passes for a body.
const FINGERPRINT = 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg';

function heap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

let clock = 1_700_000_000_000;
// No timed sweep during the run: only what the store drops as it goes.
const store = new MemoryStore({ now: () => clock, sweepIntervalMs: 2 ** 31 - 1 });
const options = { leaseMs: LEASE_MS, retentionMs: RETENTION_MS, fingerprint: FINGERPRINT };
const tag = Math.random().toString(36).slice(2, 8);
const baseline = heap();
const rows: { events: number; heapBytes: number; size: number }[] = [];
for (let index = 1; index <= EVENTS; index++) {
  const key = `standard-webhooks:msg_${tag}_${index}`;
  const claim = await store.claim(key, options);
  if (claim.status !== 'claimed') throw new Error(`event ${index} was ${claim.status}`);
  await store.complete(key, claim.token, { retentionMs: RETENTION_MS });
  clock += 1;
  if (index % CHECKPOINT === 0) rows.push({ events: index, heapBytes: heap() - baseline, size: store.size });
}
await store.close();
console.log(`MemoryStore, ${EVENTS.toLocaleString('en')} new events, retention ${RETENTION_MS} ms at one event per ms (${RETENTION_MS.toLocaleString('en')} live ids), no timed sweep`);
console.log('| events | records held | heap above the start |');
console.log('|---:|---:|---:|');
for (const row of rows) console.log(`| ${row.events.toLocaleString('en')} | ${row.size.toLocaleString('en')} | ${(row.heapBytes / 1024).toFixed(0)} KiB |`);
const first = rows[0]!;
const last = rows.at(-1)!;
console.log(`heap at ${last.events.toLocaleString('en')} ÷ heap at ${first.events.toLocaleString('en')}: ${(last.heapBytes / first.heapBytes).toFixed(2)}`);
