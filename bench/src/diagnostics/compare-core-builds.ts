/**
 * Two builds of @hookguard/core side by side in one process: the receiver's CPU time per delivery
 * (new events, then duplicates) in alternating rounds, each round on a fresh receiver and
 * MemoryStore. Tells whether a change to the core made `receive()` cheaper, with the noise of a
 * shared machine cancelled the way the benchmarks cancel it.
 *
 *   cp -r packages/core /tmp/core-before        # with the build to compare against (npm run build)
 *   npm run build                               # after the change
 *   node_modules/.bin/tsx bench/src/diagnostics/compare-core-builds.ts /tmp/core-before packages/core [--rounds 7]
 *
 * Each argument is a package directory holding `package.json` and `dist/` (the package's own
 * `#crypto` import map needs both). Prints the median µs per call of each build and the median of
 * the per-round ratios `after ÷ before`.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Core from '@hookguard/core';
import { BODY, DeliveryPool, EVENT_TYPE, SECRET } from '../http/deliveries.js';
import { median, pairedRatios } from '../report/statistics.js';

const [beforeDirectory, afterDirectory] = process.argv.slice(2).filter((argument) => !argument.startsWith('--'));
if (beforeDirectory === undefined || afterDirectory === undefined) {
  console.error('usage: compare-core-builds.ts <core package before> <core package after> [--rounds 7]');
  process.exit(2);
}
const roundsIndex = process.argv.indexOf('--rounds');
const ROUNDS = roundsIndex >= 0 ? Number(process.argv[roundsIndex + 1]) : 7;
const CALLS = 40_000;

async function load(directory: string): Promise<typeof Core> {
  return (await import(pathToFileURL(resolve(directory, 'dist/index.js')).href)) as typeof Core;
}

const builds = { before: await load(beforeDirectory), after: await load(afterDirectory) };
type Build = keyof typeof builds;
type Mode = 'new event' | 'duplicate';

/** CPU µs per `receive()` over CALLS deliveries, signed before the clock starts. */
async function round(core: typeof Core, mode: Mode): Promise<number> {
  const receiver = core.createReceiver({
    verifier: core.standardWebhooks({ secret: SECRET }),
    store: new core.MemoryStore(),
    warnings: { WARN_HOOKGUARD_STORE_NOT_SHARED: false },
  });
  receiver.on(EVENT_TYPE, () => {});
  const pool = new DeliveryPool();
  pool.refill(mode === 'new event' ? CALLS : 1);
  const deliveries = Array.from({ length: CALLS }, () => ({ ...pool.next(), 'content-length': String(BODY.length) }));
  const started = process.cpuUsage();
  for (const headers of deliveries) {
    const result = await receiver.receive({ rawBody: BODY, headers });
    if (result.status !== 200) throw new Error(`receive() answered ${result.status}: ${result.body}`);
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / CALLS;
}

for (const mode of ['new event', 'duplicate'] as const) {
  const perCall: Record<Build, number[]> = { before: [], after: [] };
  // Round 0 warms both builds up and is not recorded; the order alternates from round to round.
  for (let index = 0; index <= ROUNDS; index++) {
    const order: Build[] = index % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
    for (const build of order) {
      const micros = await round(builds[build], mode);
      if (index > 0) perCall[build].push(micros);
    }
  }
  const ratios = pairedRatios(perCall.after, perCall.before);
  console.log(
    `${mode}: before ${median(perCall.before).toFixed(2)} µs, after ${median(perCall.after).toFixed(2)} µs per receive(); ` +
      `after ÷ before ${median(ratios).toFixed(3)} (rounds ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)})`,
  );
}
