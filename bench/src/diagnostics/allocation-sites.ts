/**
 * Bytes allocated per `receive()` and where, from V8's sampling heap profiler with the objects
 * that young- and old-generation collections reclaimed included: every byte a delivery allocates,
 * not only what it keeps. A busy server pays for allocation in collections whose cost grows with
 * everything else alive at the time (sockets, requests in flight), so over HTTP a byte saved is
 * worth more than the microbenchmarks show (BENCHMARKS.md, "Allocation per delivery").
 *
 *   npm run build && node --import tsx bench/src/diagnostics/allocation-sites.ts [--calls 40000] [--top 20] [--duplicates] [--github]
 */
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { createReceiver, github, MemoryStore, standardWebhooks } from '@hookguard/core';
import { GITHUB_SECRET } from '../adapters/github-deliveries.js';
import { EVENT_TYPE, SECRET, signedDeliveries } from '../http/deliveries.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '40000' }, top: { type: 'string', default: '20' }, duplicates: { type: 'boolean', default: false }, github: { type: 'boolean', default: false } } });
const calls = Number(values.calls);

type SampledNode = { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: SampledNode[] };

const verifier = values.github ? github({ secret: GITHUB_SECRET }) : standardWebhooks({ secret: SECRET });
const receiver = createReceiver({ verifier, store: new MemoryStore(), warnings: { WARN_HOOKGUARD_STORE_NOT_SHARED: false } });
receiver.on(values.github ? 'issues.opened' : EVENT_TYPE, () => undefined);
const count = values.duplicates ? 1 : calls * 2;
// Deliveries made before the measurement, so only the receiver's allocations are sampled.
const deliveries = values.github
  ? signedDeliveries('github', count)
  : signedDeliveries('standard-webhooks', count).map(({ headers, body }) => ({ headers: { ...headers, 'content-length': String(body.length) }, body }));
const deliveryAt = (index: number): { rawBody: Buffer; headers: Record<string, string> } => {
  const { headers, body } = deliveries[values.duplicates ? 0 : index]!;
  return { rawBody: body, headers };
};

// Warm-up: optimised code, and the store's maps past their first growth.
for (let index = 0; index < calls; index++) await receiver.receive(deliveryAt(index));

const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', { samplingInterval: 64, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true } as never);
for (let index = calls; index < 2 * calls; index++) await receiver.receive(deliveryAt(index));
const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: SampledNode } };
session.disconnect();

const bySite = new Map<string, number>();
const walk = (node: SampledNode): void => {
  const { functionName, url, lineNumber } = node.callFrame;
  const site = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(packages|bench)\//, '$1/')}:${lineNumber + 1}`;
  bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
  for (const child of node.children) walk(child);
};
walk(profile.head);
const total = [...bySite.values()].reduce((sum, bytes) => sum + bytes, 0);
console.log(`${values.github ? 'GitHub' : 'Standard Webhooks'}, ${values.duplicates ? 'duplicate' : 'new'} events, ${calls.toLocaleString('en-US')} calls: ${Math.round(total / calls)} bytes allocated per receive() (sampled every 64 bytes), by allocating function (callees V8 inlined count as their caller):`);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
  console.log(`  ${String(Math.round(bytes / calls)).padStart(6)}  ${site}`);
}
