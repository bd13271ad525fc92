import { autocannon } from '../modules/autocannon.js';
import { BODY, DeliveryPool } from '../http/deliveries.js';
import type { ServerCounters } from '../http/server-config.js';
import { AdapterServerProcess } from './adapter-process.js';
import type { AdapterServer } from './adapter-servers.js';
import { GitHubDeliveryPool } from './github-deliveries.js';

/** One measured side: a server, and the provider whose deliveries it is sent. */
export type AdapterVariant = { key: AdapterServer; deliveries: 'standard-webhooks' | 'github' };

/** One variant's measurements in one round. */
export type AdapterRound = {
  requestsPerSecond: number;
  /** Requests the server answered per second of its own CPU time (user + system). */
  requestsPerCpuSecond: number;
  serverCpuShare: number;
  generatorCpuShare: number;
  non2xx: number;
  errors: number;
  counters: ServerCounters;
  /** Requests sent beyond the pool of new deliveries, i.e. repeats where new ones were meant. */
  repeated: number;
};

/** Options for {@link runAdapterRounds}. */
export type AdapterRoundsOptions = {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  serverNodeOptions: readonly string[];
  log: (line: string) => void;
  /** Each server writes a V8 CPU profile of its rounds into this directory when it exits. */
  profileDirectory?: string;
};

/** Requests per second assumed before a provider's servers have been measured. */
const FIRST_ESTIMATE = 40_000;
const MIN_ESTIMATE = 5_000;
/** GitHub deliveries carry their own 1 KB body each: the pool's memory is the cap. */
const MAX_POOL = 300_000;

/**
 * Runs every variant in interleaved rounds, as the framework rounds do (bench/src/http/http-rounds.ts):
 * a warm-up each, then `rounds` rounds in which each variant runs once, the order rotating from
 * round to round. Every delivery is new: each round signs a fresh pool per provider, rewound for
 * each server (separate processes, separate stores).
 */
export async function runAdapterRounds(variants: readonly AdapterVariant[], options: AdapterRoundsOptions): Promise<Map<AdapterServer, AdapterRound[]>> {
  const results = new Map<AdapterServer, AdapterRound[]>(variants.map((variant) => [variant.key, []]));
  const servers = new Map<AdapterServer, AdapterServerProcess>();
  const standard = new DeliveryPool();
  const githubPool = new GitHubDeliveryPool();
  try {
    const started = await Promise.allSettled(variants.map(async ({ key }) => servers.set(key, await AdapterServerProcess.start(key, options.serverNodeOptions, options.profileDirectory))));
    const failed = started.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const bestRate = { 'standard-webhooks': 0, github: 0 };
    const poolSize = (deliveries: AdapterVariant['deliveries'], seconds: number): number => {
      const rate = bestRate[deliveries] === 0 ? FIRST_ESTIMATE : Math.max(MIN_ESTIMATE, bestRate[deliveries] * 1.5);
      return Math.min(MAX_POOL, Math.ceil(rate * (seconds + 0.5)));
    };
    const refill = (seconds: number): void => {
      if (variants.some((variant) => variant.deliveries === 'standard-webhooks')) standard.refill(poolSize('standard-webhooks', seconds));
      if (variants.some((variant) => variant.deliveries === 'github')) githubPool.refill(poolSize('github', seconds));
    };
    const runOne = async (variant: AdapterVariant, seconds: number): Promise<AdapterRound> => {
      const server = servers.get(variant.key)!;
      standard.rewind();
      githubPool.rewind();
      const next = variant.deliveries === 'github' ? () => githubPool.next() : () => ({ headers: standard.next(), body: BODY });
      server.start();
      const cpuBefore = process.cpuUsage();
      const wallStarted = performance.now();
      const load = await autocannon({
        url: `http://127.0.0.1:${server.port}/webhooks`,
        connections: options.connections,
        duration: seconds,
        sampleInt: 250,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: '/webhooks',
            setupRequest: (request) => {
              const delivery = next();
              request.headers = delivery.headers;
              request.body = delivery.body;
              return request;
            },
          },
        ],
      });
      const wallSeconds = (performance.now() - wallStarted) / 1000;
      const generatorCpu = process.cpuUsage(cpuBefore);
      const stats = await server.stop();
      const cpuSeconds = stats.cpuMicros / 1e6;
      const pool = variant.deliveries === 'github' ? githubPool : standard;
      bestRate[variant.deliveries] = Math.max(bestRate[variant.deliveries], load['2xx'] / wallSeconds);
      return {
        requestsPerSecond: load['2xx'] / wallSeconds,
        requestsPerCpuSecond: stats.counters.requests / cpuSeconds,
        serverCpuShare: cpuSeconds / (stats.wallMicros / 1e6),
        generatorCpuShare: (generatorCpu.user + generatorCpu.system) / 1e6 / wallSeconds,
        non2xx: load.non2xx,
        errors: load.errors,
        counters: stats.counters,
        repeated: variant.key === 'bare' ? 0 : Math.max(0, pool.handedOut - pool.size),
      };
    };
    refill(options.warmupSeconds);
    for (const variant of variants) options.log(`    warm-up ${variant.key}: ${describe(await runOne(variant, options.warmupSeconds))}`);
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

function describe(round: AdapterRound): string {
  const problems = [round.non2xx > 0 ? `${round.non2xx} non-2xx` : '', round.errors > 0 ? `${round.errors} errors` : '', round.counters.errors > 0 ? `${round.counters.errors} server errors` : '', round.repeated > 0 ? `${round.repeated} repeated ids` : ''].filter(
    (text) => text !== '',
  );
  return (
    `${Math.round(round.requestsPerSecond)} req/s, ${Math.round(round.requestsPerCpuSecond)} req/CPU-s, server CPU ${Math.round(round.serverCpuShare * 100)} %, ` +
    `generator CPU ${Math.round(round.generatorCpuShare * 100)} %, new ${round.counters.processed}, duplicates ${round.counters.duplicates}${problems.length > 0 ? `, ${problems.join(', ')}` : ''}`
  );
}
