/**
 * Where the receiver's time per delivery goes: the pipeline's steps and their parts measured one
 * by one in this process, CPU microseconds per call, median of interleaved rounds. A companion to
 * the HTTP rounds' profiles (`npm run bench -- B1 --profile`), for BENCHMARKS.md's findings.
 *
 *   npm run build && node_modules/.bin/tsx bench/src/diagnostics/receive-breakdown.ts [--rounds 5]
 */
import { createHmac, createSecretKey } from 'node:crypto';
import { Readable } from 'node:stream';
import { createReceiver, MemoryStore, silentLogger, standardWebhooks, toWebhookHeaders, type Receiver } from '@hookguard/core';
// Internal: the streamed-body reader and crypto backend the receiver uses, to time them alone.
import { cryptoBackend, deadlineClock, LeaseHeartbeat, readBody, unwatchDeadline, watchDeadline } from './core-internals.js';
import { BODY, DeliveryPool, EVENT_TYPE, SECRET } from '../http/deliveries.js';
import { median } from '../report/statistics.js';

const roundsIndex = process.argv.indexOf('--rounds');
const ROUNDS = roundsIndex >= 0 ? Number(process.argv[roundsIndex + 1]) : 5;
const CALLS = 20_000;
const LIMITS = { maxBytes: 1_048_576, timeoutMs: 10_000 };

function nodeStream(): Readable {
  // Shaped like an IncomingMessage that has received its whole body in one chunk.
  const stream = new Readable({ read() {} });
  stream.push(BODY);
  stream.push(null);
  return stream;
}

function collectWithEvents(stream: Readable): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

function newReceiver(): Receiver {
  const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), store: new MemoryStore(), warnings: { WARN_HOOKGUARD_STORE_NOT_SHARED: false } });
  receiver.on(EVENT_TYPE, () => {});
  return receiver;
}

const keyBytes = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
const keyObject = createSecretKey(keyBytes);
const verifier = standardWebhooks({ secret: SECRET });
const pool = new DeliveryPool();
const headersOf = (): Record<string, string> => ({ ...pool.next(), 'content-length': String(BODY.length) });

// The guarantees' own parts, for the costs no faster code removes (BENCHMARKS.md, issue 20).
const LEASE_MS = 30_000;
const RETENTION_MS = 4 * 24 * 3_600_000;
const FINGERPRINT = cryptoBackend.sha256(BODY) as string;
let store = new MemoryStore();
let storeKeys = 0;
const deadlineWatch = { deadline: 0, expire: (): void => undefined };

async function claimAndComplete(): Promise<void> {
  const key = `bench:${storeKeys++}`;
  const claim = await store.claim(key, { leaseMs: LEASE_MS, retentionMs: RETENTION_MS, fingerprint: FINGERPRINT });
  if (claim.status === 'claimed') await store.complete(key, claim.token, { retentionMs: RETENTION_MS });
}

type Step = { name: string; run: () => unknown };
const steps: Step[] = [
  { name: 'receive(): bytes body, new event', run: () => receivers.bytes.receive({ rawBody: BODY, headers: headersOf() }) },
  { name: 'receive(): Node stream body, new event', run: () => receivers.stream.receive({ rawBody: nodeStream(), headers: headersOf() }) },
  { name: 'receive(): bytes body, duplicate', run: () => receivers.bytes.receive({ rawBody: BODY, headers: duplicate }) },
  { name: 'verifier.verify() (HMAC + parse)', run: () => verifier.verify({ rawBody: BODY, headers: toWebhookHeaders(headersOf()) }) },
  { name: 'readBody(Node stream)', run: () => readBody(nodeStream(), LIMITS) },
  { name: "Node stream read with 'data' events", run: () => collectWithEvents(nodeStream()) },
  { name: 'Node stream created, not read', run: () => nodeStream() },
  { name: 'sha256 fingerprint of the body', run: () => cryptoBackend.sha256(BODY) },
  { name: 'MemoryStore claim + complete of a new key (leased claim, completion record)', run: claimAndComplete },
  {
    name: 'MemoryStore claim of a completed key (the duplicate lookup)',
    run: () => store.claim('bench:0', { leaseMs: LEASE_MS, retentionMs: RETENTION_MS, fingerprint: FINGERPRINT }),
  },
  { name: 'lease heartbeat started and stopped (shared ticker)', run: () => new LeaseHeartbeat(store, 'bench:hb', 'token', LEASE_MS, silentLogger).stop() },
  {
    name: 'body time limit watched and released (shared ticker)',
    run: () => {
      deadlineWatch.deadline = deadlineClock() + 10_000;
      watchDeadline(deadlineWatch, 10_000);
      unwatchDeadline(deadlineWatch);
    },
  },
  { name: 'new AbortController().signal', run: () => new AbortController().signal },
  { name: 'setInterval + clearInterval', run: () => clearInterval(setInterval(() => {}, 20_000)) },
  { name: 'HMAC-SHA256 1 KB, KeyObject key', run: () => createHmac('sha256', keyObject).update(BODY).digest() },
  { name: 'HMAC-SHA256 1 KB, Buffer key', run: () => createHmac('sha256', keyBytes).update(BODY).digest() },
];

let receivers = { bytes: newReceiver(), stream: newReceiver() };
const duplicatePool = new DeliveryPool();
duplicatePool.refill(1);
const duplicate = { ...duplicatePool.next(), 'content-length': String(BODY.length) };

async function time(step: Step): Promise<number> {
  const cpu = process.cpuUsage();
  for (let index = 0; index < CALLS; index++) await step.run();
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / CALLS;
}

const results = new Map<string, number[]>(steps.map((step) => [step.name, []]));
for (let round = 0; round <= ROUNDS; round++) {
  // Fresh ids for the two new-event steps, signed before the round; fresh stores keep the heap flat.
  pool.refill(CALLS * 3);
  receivers = { bytes: newReceiver(), stream: newReceiver() };
  await receivers.bytes.receive({ rawBody: BODY, headers: duplicate });
  await store.close();
  store = new MemoryStore();
  storeKeys = 0;
  await claimAndComplete();
  for (let offset = 0; offset < steps.length; offset++) {
    const step = steps[(round + offset) % steps.length]!;
    const micros = await time(step);
    if (round > 0) results.get(step.name)!.push(micros);
  }
  process.stderr.write(round === 0 ? 'warm-up done\n' : `round ${round}/${ROUNDS} done\n`);
}
console.log(`CPU µs per call, median of ${ROUNDS} interleaved rounds of ${CALLS.toLocaleString('en-US')} calls (Node ${process.version}):`);
for (const [name, runs] of results) console.log(`  ${median(runs).toFixed(2).padStart(7)}  ${name}   (min ${Math.min(...runs).toFixed(2)}, max ${Math.max(...runs).toFixed(2)})`);
