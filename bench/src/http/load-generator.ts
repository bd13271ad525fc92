import { autocannon } from '../modules/autocannon.js';
import { BODY, type DeliveryPool } from './deliveries.js';

/** Options for {@link generateLoad}. */
export type LoadOptions = {
  port: number;
  connections: number;
  durationSeconds: number;
};

/** What the load generator saw in one round. */
export type LoadResult = {
  /** 2xx answers. */
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  /** 2xx answers per second. */
  okPerSecond: number;
  /** Share of one core the generator (this process) used. */
  generatorCpuShare: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
};

/**
 * POSTs pre-signed deliveries from `pool` to the server on `port` with autocannon, each request
 * the pool's next delivery.
 */
export async function generateLoad(pool: DeliveryPool, options: LoadOptions): Promise<LoadResult> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await autocannon({
    url: `http://127.0.0.1:${options.port}/webhooks`,
    connections: options.connections,
    duration: options.durationSeconds,
    sampleInt: 250,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/webhooks',
        setupRequest: (request) => {
          request.headers = pool.next();
          request.body = BODY;
          return request;
        },
      },
    ],
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds,
    okPerSecond: result['2xx'] / seconds,
    generatorCpuShare: (cpu.user + cpu.system) / 1e6 / seconds,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
  };
}
