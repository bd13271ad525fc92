// One soak run: a server process (soak-server.ts) on one framework and store, and this process as
// a provider sending signed deliveries over keep-alive HTTP with duplicates, redelivering whatever
// was not answered 2xx. It measures throughput, latency and the server's RSS, and checks that no
// event was lost and no effect doubled.
import { Agent } from 'node:http';
import { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { Framework } from '../cross-process/app-config.js';
import { spawnTs } from '../cross-process/app-process.js';
import { deliver, eventBody, isSuccess, pause } from '../cross-process/delivery.js';
import { seededRandom } from '../cross-process/redelivery.js';
import { postgresFixture, redisFixture } from '../cross-process/store-fixture.js';
import { SOAK_SERVER_ENV, isFailingEvent, type ServerMessage, type SoakServerConfig, type SoakStore } from './soak-protocol.js';

const SERVER_ENTRY = fileURLToPath(new URL('./soak-server.ts', import.meta.url));

export type StoreKind = SoakStore['kind'];

export type SoakOptions = {
  framework: Framework;
  store: StoreKind;
  /** Signed deliveries to send, duplicates included (redeliveries after a non-2xx come on top). */
  deliveries: number;
  /** @default 0.2 */
  duplicateRate?: number;
  /** Every n-th event fails its first attempt. @default 20 (5 %) */
  failEvery?: number;
  /** @default 64 */
  concurrency?: number;
  /** How long the receiver (and so the memory store) remembers ids: it bounds the memory store's size. @default 10_000 */
  retentionMs?: number;
  /** @default random */
  seed?: number;
  /** Give up on deliveries still unanswered after this long. @default 1_800_000 */
  deadlineMs?: number;
};

/**
 * Bytes after GC: `start` idle after boot; `warm` the lowest of the samples taken at 30, 40 and 50 %
 * of the run and `end` the lowest of those at 80, 90 and 100 % (each with the load paused and
 * nothing in flight); `idle` after the run. Single samples jump by up to 30 MB either way with
 * V8's young generation and malloc arenas; a leak raises the floor, so floors are compared.
 */
export type RssSamples = { start: number; warm: number; end: number; idle: number };

/** The server's memory after GC, with no request in flight, once `delivered` deliveries were answered 2xx. */
export type MemorySample = { delivered: number; rss: number; heapUsed: number; heapTotal: number; external: number };

export type SoakResult = {
  framework: Framework;
  store: StoreKind;
  seed: number;
  deliveries: number;
  uniqueEvents: number;
  failingEvents: number;
  /** Every HTTP request, redeliveries included. */
  requests: number;
  /** From the first request to the last answer, without the pauses for the memory samples. */
  elapsedMs: number;
  deliveriesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** How long the load paused for the memory samples (waiting for requests in flight, then GC). */
  samplingPauseMs: number;
  rss: RssSamples;
  heapUsed: RssSamples;
  /** Every tenth of the run. */
  trace: MemorySample[];
  /** (end − warm) / warm. */
  rssGrowth: number;
  answers: Record<string, number>;
  /** Events with no effect at the end. */
  lost: number;
  /** Events whose effect ran more than once. */
  doubled: number;
  /** Deliveries never answered 2xx before the deadline. */
  unfinished: number;
  /** Server log lines by code. */
  logCounts: Record<string, number>;
};

type Delivery = { index: number; id: string; /** The event's first delivery, not a duplicate. */ first?: boolean };

const DUPLICATE_WINDOW_MS = 1_000;
const RACING_WINDOW_MS = 50;

/** The last events acknowledged (2xx), newest last, with when. */
class RecentEvents {
  readonly #indices: Int32Array;
  readonly #times: Float64Array;
  #count = 0;

  constructor(size: number) {
    this.#indices = new Int32Array(size);
    this.#times = new Float64Array(size);
  }

  add(index: number, at: number): void {
    const slot = this.#count++ % this.#indices.length;
    this.#indices[slot] = index;
    this.#times[slot] = at;
  }

  /** A random one acknowledged after `since`; the newest one if none was and `anyway` is set. */
  pick(since: number, random: () => number, anyway: boolean): number | undefined {
    const size = this.#indices.length;
    let fresh = 0;
    while (fresh < Math.min(this.#count, size) && this.#times[(this.#count - 1 - fresh) % size]! > since) fresh++;
    if (fresh === 0) return anyway && this.#count > 0 ? this.#indices[(this.#count - 1) % size] : undefined;
    return this.#indices[(this.#count - 1 - Math.floor(random() * fresh)) % size];
  }
}

/** The sample of lowest RSS among `samples`, or `fallback` when there is none. */
function floorOf(samples: readonly MemorySample[], fallback: { rss: number; heapUsed: number }): { rss: number; heapUsed: number } {
  if (samples.length === 0) return fallback;
  return samples.reduce((lowest, sample) => (sample.rss < lowest.rss ? sample : lowest));
}

/** Whether something listens on 127.0.0.1:`port`. */
export function listening(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (up: boolean): void => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => done(true));
  });
}

/** The server process, and the answers it sends back in order. */
class SoakServer {
  readonly child: ChildProcess;
  readonly effects: Uint16Array;
  #waiting = new Map<ServerMessage['type'], ((message: ServerMessage) => void)[]>();
  #output = '';

  constructor(config: SoakServerConfig, uniqueEvents: number) {
    this.effects = new Uint16Array(uniqueEvents);
    this.child = spawnTs(SERVER_ENTRY, { nodeArgs: ['--expose-gc', ...(process.env['SOAK_NODE_ARGS'] ? process.env['SOAK_NODE_ARGS'].split(' ') : [])], env: { [SOAK_SERVER_ENV]: JSON.stringify(config) } });
    const collect = (chunk: Buffer): void => {
      this.#output = (this.#output + chunk.toString()).slice(-4000);
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.child.on('message', (message: ServerMessage) => {
      if (message.type === 'effects') {
        for (const id of message.ids) this.effects[Number(id.slice(id.lastIndexOf('-') + 1))]! += 1;
        return;
      }
      this.#waiting.get(message.type)?.shift()?.(message);
    });
  }

  next<Type extends ServerMessage['type']>(type: Type, timeoutMs = 60_000): Promise<Extract<ServerMessage, { type: Type }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the soak server sent no '${type}' within ${timeoutMs} ms:\n${this.#output}`)), timeoutMs);
      const exit = (): void => reject(new Error(`the soak server exited:\n${this.#output}`));
      this.child.once('exit', exit);
      const list = this.#waiting.get(type) ?? [];
      list.push((message) => {
        clearTimeout(timer);
        this.child.off('exit', exit);
        resolve(message as Extract<ServerMessage, { type: Type }>);
      });
      this.#waiting.set(type, list);
    });
  }

  async sample(): Promise<Extract<ServerMessage, { type: 'sample' }>> {
    const answer = this.next('sample');
    this.child.send({ type: 'sample' });
    return answer;
  }

  async flush(): Promise<Record<string, number>> {
    const answer = this.next('flushed');
    this.child.send({ type: 'flush' });
    return (await answer).logCounts;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

/** Runs one soak configuration from start to clean-up. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = seededRandom(seed);
  const duplicateRate = options.duplicateRate ?? 0.2;
  const failEvery = options.failEvery ?? 20;
  const concurrency = options.concurrency ?? 64;
  const uniqueEvents = Math.round(options.deliveries * (1 - duplicateRate));
  const retentionMs = options.retentionMs ?? 10_000;

  const fixture = options.store === 'redis' ? redisFixture() : options.store === 'postgres' ? await postgresFixture() : undefined;
  const storeConfig: SoakStore =
    fixture === undefined
      ? { kind: 'memory' }
      : fixture.config.kind === 'redis'
        ? { kind: 'redis', port: fixture.config.port, prefix: fixture.config.prefix }
        : { kind: 'postgres', connection: fixture.config.connection, schema: fixture.config.schema };
  const server = new SoakServer({ framework: options.framework, store: storeConfig, failEvery, retentionMs }, uniqueEvents);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const { port } = await server.next('listening');
    const url = `http://127.0.0.1:${port}/webhooks`;
    const start = await server.sample();

    // A duplicate re-sends an event acknowledged within the last second (a provider whose ack got
    // lost) or, one time in ten, first sent within the last 50 ms (a provider that timed out
    // early, racing the first delivery). Always well inside the receiver's retention: a duplicate
    // of a forgotten id runs again by design, and would count here as a doubled effect.
    const runTag = `soak${process.pid.toString(36)}${Date.now().toString(36)}`;
    const recent = new RecentEvents(4_096);
    const firstSent = new RecentEvents(1_024);
    let newLeft = uniqueEvents;
    let duplicatesLeft = options.deliveries - uniqueEvents;
    let newEvents = 0;
    const nextDelivery = (): Delivery | undefined => {
      if (newLeft + duplicatesLeft === 0) return undefined;
      const wantDuplicate = newLeft === 0 || random() * (newLeft + duplicatesLeft) < duplicatesLeft;
      const now = performance.now();
      const racing = wantDuplicate && random() < 0.1 ? firstSent.pick(now - RACING_WINDOW_MS, random, false) : undefined;
      const repeated = wantDuplicate ? (racing ?? recent.pick(now - DUPLICATE_WINDOW_MS, random, newLeft === 0)) : undefined;
      if (repeated !== undefined) {
        duplicatesLeft--;
        return { index: repeated, id: `${runTag}-${repeated}` };
      }
      if (newLeft === 0) return undefined;
      newLeft--;
      const index = newEvents++;
      firstSent.add(index, now);
      return { index, id: `${runTag}-${index}`, first: true };
    };

    const answers: Record<string, number> = {};
    const latencies: number[] = [];
    const retries: Delivery[] = [];
    let pendingRetries = 0;
    const sleeping: (() => void)[] = [];
    let answered2xx = 0;
    let inFlight = 0;
    let unfinished = 0;
    const trace: MemorySample[] = [];
    let sampling: Promise<void> | undefined;
    let pausedMs = 0;
    const tenth = Math.max(1, Math.floor(options.deliveries / 10));
    const deadline = performance.now() + (options.deadlineMs ?? 1_800_000);

    const retryLater = (delivery: Delivery): void => {
      pendingRetries++;
      setTimeout(() => {
        pendingRetries--;
        retries.push(delivery);
        for (const wake of sleeping.splice(0)) wake();
      }, 200);
    };

    // Samples are taken with no request in flight, so that they and the end sample compare like with like.
    const takeSample = async (delivered: number): Promise<void> => {
      const paused = performance.now();
      while (inFlight > 0) await pause(1);
      const sample = await server.sample();
      trace.push({ delivered, rss: sample.rss, heapUsed: sample.heapUsed, heapTotal: sample.heapTotal, external: sample.external });
      pausedMs += performance.now() - paused;
    };

    const worker = async (): Promise<void> => {
      for (;;) {
        if (sampling !== undefined) await sampling;
        const delivery = retries.shift() ?? nextDelivery();
        if (delivery === undefined) {
          if (pendingRetries === 0) return;
          await new Promise<void>((resolve) => sleeping.push(resolve));
          continue;
        }
        if (performance.now() > deadline) {
          unfinished++;
          continue;
        }
        inFlight++;
        const attempt = await deliver(url, delivery.id, eventBody(delivery.id), { timeoutMs: 30_000, agent });
        inFlight--;
        latencies.push(attempt.elapsedMs);
        const key = attempt.kind === 'answer' ? String(attempt.status) : attempt.kind;
        answers[key] = (answers[key] ?? 0) + 1;
        if (!isSuccess(attempt)) {
          retryLater(delivery);
          continue;
        }
        if (delivery.first === true) recent.add(delivery.index, performance.now());
        answered2xx++;
        if (answered2xx % tenth === 0) sampling = takeSample(answered2xx);
      }
    };

    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    await sampling;
    const elapsedMs = performance.now() - started - pausedMs;
    const logCounts = await server.flush();
    const idle = await server.sample();
    const warm = floorOf(trace.slice(2, 5), idle);
    const end = floorOf(trace.slice(-3), idle);

    let lost = 0;
    let doubled = 0;
    let failingEvents = 0;
    for (let index = 0; index < uniqueEvents; index++) {
      const effects = server.effects[index]!;
      if (effects === 0) lost++;
      if (effects > 1) doubled++;
      if (isFailingEvent(`-${index}`, failEvery)) failingEvents++;
    }
    latencies.sort((a, b) => a - b);
    const percentile = (share: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * share))] ?? Number.NaN;
    return {
      framework: options.framework,
      store: options.store,
      seed,
      deliveries: options.deliveries,
      uniqueEvents,
      failingEvents,
      requests: latencies.length,
      elapsedMs,
      deliveriesPerSecond: options.deliveries / (elapsedMs / 1000),
      p50Ms: percentile(0.5),
      p99Ms: percentile(0.99),
      maxMs: latencies.at(-1) ?? Number.NaN,
      samplingPauseMs: pausedMs,
      rss: { start: start.rss, warm: warm.rss, end: end.rss, idle: idle.rss },
      heapUsed: { start: start.heapUsed, warm: warm.heapUsed, end: end.heapUsed, idle: idle.heapUsed },
      trace,
      rssGrowth: (end.rss - warm.rss) / warm.rss,
      answers,
      lost,
      doubled,
      unfinished,
      logCounts,
    };
  } finally {
    agent.destroy();
    await server.stop();
    await fixture?.close();
  }
}

/** What must hold for every run; the RSS bound only for runs long enough to reach a steady state. */
export function violations(result: SoakResult, options: { checkRss: boolean }): string[] {
  const found: string[] = [];
  if (result.lost !== 0) found.push(`${result.lost} events lost`);
  if (result.doubled !== 0) found.push(`${result.doubled} effects doubled`);
  if (result.unfinished !== 0) found.push(`${result.unfinished} deliveries never answered 2xx`);
  const unexpected = Object.entries(result.answers).filter(([answer]) => !['200', '409', '500'].includes(answer));
  if (unexpected.length > 0) found.push(`unexpected answers: ${JSON.stringify(Object.fromEntries(unexpected))}`);
  // Each failing event fails exactly once (its attempt 1), whatever its duplicates do.
  if ((result.answers['500'] ?? 0) !== result.failingEvents) found.push(`${result.answers['500'] ?? 0} answers 500 for ${result.failingEvents} failing events`);
  if (options.checkRss && Math.abs(result.rssGrowth) > 0.1) found.push(`RSS changed by ${(result.rssGrowth * 100).toFixed(1)} % after warm-up`);
  return found;
}
