/**
 * Two builds of @hookguard/core side by side in one process: the receiver's CPU time per delivery
 * (new events with the body as bytes, new events with the body as a Node stream as the adapters
 * pass it, then duplicates) in alternating rounds, each round on a fresh receiver and MemoryStore.
 * `--verifier github` sends GitHub deliveries instead of Standard Webhooks ones (each with a body
 * of its own, since GitHub's dedup key is a digest of the body). Tells whether a change to the core made `receive()` cheaper, with the noise of a
 * shared machine cancelled the way the benchmarks cancel it.
 *
 *   cp -r packages/core /tmp/core-before        # with the build to compare against (npm run build)
 *   npm run build                               # after the change
 *   node_modules/.bin/tsx bench/src/diagnostics/compare-core-builds.ts /tmp/core-before packages/core [--rounds 7]
 *
 *   … [--rounds 7] [--calls 40000] [--verifier github] [--modes stream,duplicate]
 *
 * On a busy machine, more and shorter rounds (--rounds 41 --calls 5000) pair the two builds better.
 *
 * Each argument is a package directory holding `package.json` and `dist/` (the package's own
 * `#crypto` import map needs both). Prints the median µs per call of each build and the median of
 * the per-round ratios `after ÷ before`.
 */
import { createHmac } from 'node:crypto';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
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
const callsIndex = process.argv.indexOf('--calls');
const CALLS = callsIndex >= 0 ? Number(process.argv[callsIndex + 1]) : 40_000;
const verifierIndex = process.argv.indexOf('--verifier');
const VERIFIER = verifierIndex >= 0 ? process.argv[verifierIndex + 1] : 'standard-webhooks';
const modesIndex = process.argv.indexOf('--modes');
const MODES = (modesIndex >= 0 ? process.argv[modesIndex + 1]!.split(',') : ['bytes', 'stream', 'duplicate']) as Mode[];
const GITHUB_SECRET = 'compare-github-secret';

async function load(directory: string): Promise<typeof Core> {
  return (await import(pathToFileURL(resolve(directory, 'dist/index.js')).href)) as typeof Core;
}

const builds = { before: await load(beforeDirectory), after: await load(afterDirectory) };
type Build = keyof typeof builds;
type Mode = 'bytes' | 'stream' | 'duplicate';
type Delivery = { body: Buffer; headers: Record<string, string> };

function standardDeliveries(mode: Mode): Delivery[] {
  const pool = new DeliveryPool();
  pool.refill(mode === 'duplicate' ? 1 : CALLS);
  return Array.from({ length: CALLS }, () => ({ body: BODY, headers: { ...pool.next(), 'content-length': String(BODY.length) } }));
}

let serial = 0;
function githubDeliveries(mode: Mode): Delivery[] {
  const make = (): Delivery => {
    const id = serial++;
    const body = Buffer.from(JSON.stringify({ action: 'opened', issue: { id, number: id, body: 'x'.repeat(900) }, repository: { id: 1 } }));
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
        'x-github-event': 'issues',
        'x-github-delivery': `delivery-${id}`,
        'x-hub-signature-256': `sha256=${createHmac('sha256', GITHUB_SECRET).update(body).digest('hex')}`,
      },
    };
  };
  if (mode !== 'duplicate') return Array.from({ length: CALLS }, make);
  const one = make();
  return Array.from({ length: CALLS }, () => one);
}

/** Shaped like an IncomingMessage that has received its whole body in one chunk. */
function nodeStream(body: Buffer): Readable {
  const stream = new Readable({ read() {} });
  stream.push(body);
  stream.push(null);
  return stream;
}

/** CPU µs per `receive()` over CALLS deliveries, signed before the clock starts. */
async function round(core: typeof Core, mode: Mode): Promise<number> {
  const github = VERIFIER === 'github';
  const receiver = core.createReceiver({
    verifier: github ? core.github({ secret: GITHUB_SECRET }) : core.standardWebhooks({ secret: SECRET }),
    store: new core.MemoryStore(),
    warnings: { WARN_HOOKGUARD_STORE_NOT_SHARED: false },
  });
  receiver.on(github ? 'issues.opened' : EVENT_TYPE, () => {});
  const deliveries = github ? githubDeliveries(mode) : standardDeliveries(mode);
  const started = process.cpuUsage();
  // Streams are made in the loop, as a server gets them, so each can be collected after its
  // delivery like a request (both builds pay the same for making them).
  for (const { body, headers } of deliveries) {
    const result = await receiver.receive({ rawBody: mode === 'stream' ? nodeStream(body) : body, headers });
    if (result.status !== 200) throw new Error(`receive() answered ${result.status}: ${result.body}`);
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / CALLS;
}

for (const mode of MODES) {
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
    `${VERIFIER}, ${mode === 'duplicate' ? 'duplicate' : `new event, body as ${mode === 'stream' ? 'a Node stream' : 'bytes'}`}: before ${median(perCall.before).toFixed(2)} µs, after ${median(perCall.after).toFixed(2)} µs per receive(); ` +
      `after ÷ before ${median(ratios).toFixed(3)} (rounds ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)})`,
  );
}
