import { DeliveryPool } from './deliveries.js';
import { generateLoad, type LoadResult } from './load-generator.js';
import { serverName, type ServerConfig } from './server-config.js';
import { ServerProcess, type ServerStats } from './server-process.js';

/**
 * One side of an HTTP comparison: a server and the deliveries sent to it.
 * `unique`: every request a new event id. `repeated`: 64 ids sent over and over, so after the
 * warm-up nearly every request is a duplicate.
 */
export type HttpVariant = { key: string; server: ServerConfig; load: 'unique' | 'repeated' };

/** One variant's measurements in one round. */
export type HttpRound = {
  /** 2xx answers per second of wall time. */
  requestsPerSecond: number;
  /** Requests the server answered per second of its own CPU time (user + system). */
  requestsPerCpuSecond: number;
  /** Share of one core the server process used. */
  serverCpuShare: number;
  /** Share of the server's CPU time spent in the kernel (socket reads and writes, mostly). */
  serverSystemShare: number;
  /** Share of one core the load generator used. */
  generatorCpuShare: number;
  load: LoadResult;
  server: Pick<ServerStats, 'counters' | 'rssBytes'>;
  /** Requests sent beyond the pre-signed pool, i.e. repeated ids where new ones were meant. */
  repeatedIds: number;
};

/** Options for {@link runHttpRounds}. */
export type HttpRoundsOptions = {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  profileDirectory?: string;
  /** Extra Node options for the server processes. */
  serverNodeOptions?: readonly string[];
  log: (line: string) => void;
};

const REPEATED_IDS = 64;
/** Requests per second assumed before a variant has been measured (bare Fastify reaches ~31k here). */
const FIRST_ESTIMATE = 40_000;
const MIN_ESTIMATE = 5_000;
const MAX_POOL = 600_000;

/**
 * Runs every variant in interleaved rounds: a warm-up round each, then `rounds` rounds in which
 * each variant runs once, the order rotating from round to round, so load from other processes
 * and thermal drift reach every side alike. Servers are started once and kept for all rounds.
 */
export async function runHttpRounds(variants: readonly HttpVariant[], options: HttpRoundsOptions): Promise<Map<string, HttpRound[]>> {
  const servers = new Map<string, ServerProcess>();
  const results = new Map<string, HttpRound[]>(variants.map((variant) => [variant.key, []]));
  // One pool of new ids per round, rewound for each variant: the servers are separate processes
  // with separate stores, so an id new to one is new to all. Signing happens before the round.
  const uniquePool = new DeliveryPool();
  const repeatedPool = new DeliveryPool();
  repeatedPool.refill(REPEATED_IDS);
  let bestRate = 0;
  try {
    const processOptions = {
      ...(options.profileDirectory === undefined ? {} : { profileDirectory: options.profileDirectory }),
      ...(options.serverNodeOptions === undefined ? {} : { nodeOptions: options.serverNodeOptions }),
    };
    const configs = new Map(variants.map((variant) => [serverName(variant.server), variant.server]));
    // Started together: start-up is not measured, and each takes a second or two of module loading.
    const started = await Promise.allSettled([...configs].map(async ([name, config]) => servers.set(name, await ServerProcess.start(config, processOptions))));
    const failed = started.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const refill = (seconds: number): void => {
      const rate = bestRate === 0 ? FIRST_ESTIMATE : Math.max(MIN_ESTIMATE, bestRate * 1.5);
      uniquePool.refill(Math.min(MAX_POOL, Math.ceil(rate * (seconds + 0.5))));
    };
    const runOne = async (variant: HttpVariant, seconds: number): Promise<HttpRound> => {
      const server = servers.get(serverName(variant.server))!;
      const pool = variant.load === 'repeated' ? repeatedPool : uniquePool;
      if (variant.load === 'repeated') pool.resign();
      else pool.rewind();
      server.start();
      const load = await generateLoad(pool, { port: server.port, connections: options.connections, durationSeconds: seconds });
      const stats = await server.stop();
      const cpuSeconds = stats.cpuMicros / 1e6;
      if (variant.load === 'unique') bestRate = Math.max(bestRate, load.okPerSecond);
      return {
        requestsPerSecond: load.okPerSecond,
        requestsPerCpuSecond: stats.counters.requests / cpuSeconds,
        serverCpuShare: cpuSeconds / (stats.wallMicros / 1e6),
        serverSystemShare: stats.systemCpuMicros / stats.cpuMicros,
        generatorCpuShare: load.generatorCpuShare,
        load,
        server: { counters: stats.counters, rssBytes: stats.rssBytes },
        repeatedIds: variant.load === 'unique' && variant.server.handling !== 'bare' ? Math.max(0, pool.handedOut - pool.size) : 0,
      };
    };
    refill(options.warmupSeconds);
    for (const variant of variants) {
      const round = await runOne(variant, options.warmupSeconds);
      options.log(`    warm-up ${variant.key}: ${describe(round)}`);
    }
    for (let index = 0; index < options.rounds; index++) {
      refill(options.durationSeconds);
      for (let offset = 0; offset < variants.length; offset++) {
        const variant = variants[(index + offset) % variants.length]!;
        const round = await runOne(variant, options.durationSeconds);
        results.get(variant.key)!.push(round);
        options.log(`    round ${index + 1}/${options.rounds} ${variant.key}: ${describe(round)}`);
      }
    }
  } finally {
    await Promise.all([...servers.values()].map((server) => server.close()));
  }
  return results;
}

function describe(round: HttpRound): string {
  const { counters } = round.server;
  const problems = [
    round.load.non2xx > 0 ? `${round.load.non2xx} non-2xx` : '',
    round.load.errors > 0 ? `${round.load.errors} errors` : '',
    counters.errors > 0 ? `${counters.errors} server errors` : '',
    round.repeatedIds > 0 ? `${round.repeatedIds} repeated ids` : '',
  ].filter((text) => text !== '');
  return (
    `${Math.round(round.requestsPerSecond)} req/s, ${Math.round(round.requestsPerCpuSecond)} req/CPU-s, ` +
    `server CPU ${percent(round.serverCpuShare)} (${percent(round.serverSystemShare)} kernel), generator CPU ${percent(round.generatorCpuShare)}, ` +
    `new ${counters.processed}, duplicates ${counters.duplicates}${problems.length > 0 ? `, ${problems.join(', ')}` : ''}`
  );
}

/** A share of one core as a percentage. */
export function percent(share: number): string {
  return `${Math.round(share * 100)} %`;
}
