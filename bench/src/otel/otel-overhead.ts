// Receiver capacity (deliveries per second of the server's CPU, which a machine shared with other
// work disturbs far less than wall-clock throughput does, and throughput as well) with @hookguard/otel loaded but no SDK, and with the SDK and exporters that
// drop everything (and, for reference, that SDK without @hookguard/otel), each divided by the
// throughput without it: Fastify, memory store, 1 KB signed
// deliveries with fresh ids. The three servers run side by side; rounds are interleaved (the order
// rotates each round) so drift on a shared machine falls on every setting alike.
//
//   npm run build && node --import tsx bench/src/otel/otel-overhead.ts [--rounds 5] [--seconds 5] [--connections 32]
//     [--settings off,loaded,sdk,sdk-only,sdk-context]  (off is always measured: the ratios are to it; the stand-ins
//     of stand-in-subscribers.ts as sdk-pass, sdk-delivery, sdk-bare, …)
import { fork, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { staleBuilds } from '../built-packages.js';
import { DeliveryPool } from '../http/deliveries.js';
import { generateLoad } from '../http/load-generator.js';
import type { TelemetrySetting } from './otel-server.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, seconds: { type: 'string', default: '5' }, connections: { type: 'string', default: '32' }, settings: { type: 'string', default: 'off,loaded,sdk,sdk-only,sdk-context' } } });
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const connections = Number(values.connections);

const stale = staleBuilds().filter((name) => ['core', 'fastify', 'otel'].includes(name));
if (stale.length > 0) {
  console.error(`stale or missing builds: ${stale.join(', ')}; run npm run build first`);
  process.exit(1);
}

type Server = { setting: TelemetrySetting; port: number; child: ChildProcess };
type Usage = { processed: number; cpuMicros: number };

/** The server's handled count and CPU time so far. */
function usage(server: Server): Promise<Usage> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string } & Usage): void => {
      if (message.type !== 'usage') return;
      server.child.off('message', onMessage);
      resolve(message);
    };
    server.child.on('message', onMessage);
    server.child.send({ type: 'usage' });
  });
}

function startServer(setting: TelemetrySetting): Promise<Server> {
  const child = fork(new URL('./otel-server.ts', import.meta.url), [setting], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the ${setting} server exited with ${code}`)));
    child.once('message', (message: { type: string; port: number }) => resolve({ setting, port: message.port, child }));
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

// `off` is always measured: every ratio is to it.
const settings = ['off', ...new Set(values.settings.split(',').filter((setting) => setting !== 'off'))] as TelemetrySetting[];
const servers = await Promise.all(settings.map(startServer));
const rates = new Map<TelemetrySetting, number[]>(settings.map((setting) => [setting, []]));
const capacities = new Map<TelemetrySetting, number[]>(settings.map((setting) => [setting, []]));
const pool = new DeliveryPool();
try {
  // A warm-up round per server, not counted: JIT and connection set-up.
  for (const server of servers) {
    pool.refill(50_000);
    await generateLoad(pool, { port: server.port, connections, durationSeconds: 1 });
  }
  for (let round = 0; round < rounds; round++) {
    const order = servers.map((_, index) => servers[(index + round) % servers.length]!);
    for (const server of order) {
      pool.refill(Math.ceil(40_000 * seconds));
      const before = await usage(server);
      const load = await generateLoad(pool, { port: server.port, connections, durationSeconds: seconds });
      const after = await usage(server);
      const cpuMicrosPerDelivery = (after.cpuMicros - before.cpuMicros) / (after.processed - before.processed);
      capacities.get(server.setting)!.push(1e6 / cpuMicrosPerDelivery);
      if (load.non2xx + load.errors + load.timeouts > 0) throw new Error(`${server.setting}: ${load.non2xx} non-2xx, ${load.errors} errors, ${load.timeouts} timeouts`);
      rates.get(server.setting)!.push(load.okPerSecond);
      console.log(`round ${round + 1}/${rounds}  ${server.setting.padEnd(8)} ${Math.round(load.okPerSecond)} deliveries/s, ${cpuMicrosPerDelivery.toFixed(1)} µs server CPU each`);
    }
  }
} finally {
  for (const server of servers) server.child.disconnect();
}

const line = (label: string, setting: TelemetrySetting, target: string): string => {
  const capacity = median(capacities.get(setting)!) / median(capacities.get('off')!);
  const throughput = median(rates.get(setting)!) / median(rates.get('off')!);
  return `  ${label.padEnd(34)} ${Math.round(median(capacities.get(setting)!))} deliveries per CPU-second  ratio ${capacity.toFixed(3)}   throughput ${Math.round(median(rates.get(setting)!))}/s  ratio ${throughput.toFixed(3)}${target}`;
};
console.log('');
console.log(`Fastify, memory store, 1 KB deliveries, ${connections} connections, ${rounds} interleaved rounds of ${seconds} s (medians; ratios to the server without it):`);
const labels: Record<string, [string, string]> = {
  off: ['without @hookguard/otel', ''],
  busy: [`without it, the handler spinning ${process.env['BENCH_BUSY_US'] ?? 10} µs`, ''],
  loaded: ['loaded, no SDK', '   (target ≥ 0.98)'],
  sdk: ['SDK, exporters dropping all', '   (target ≥ 0.85)'],
  'sdk-only': ['the same SDK, no @hookguard/otel', '   (the SDK alone)'],
  'sdk-context': ['the same, its context manager entered', '   (the floor of anything making a span active)'],
  'sdk-pass': ['SDK, stand-in: records handed back', ''],
  'sdk-wrap': ['SDK, stand-in: each run in one .then', ''],
  'sdk-with': ['SDK, stand-in: a context per delivery, no span', ''],
  'sdk-span': ['SDK, stand-in: a delivery span, never active', ''],
  'sdk-delivery': ['SDK, stand-in: the delivery span only', ''],
  'sdk-spans': ['SDK, stand-in: the four spans only', ''],
  'sdk-histograms': ['SDK, stand-in: the histograms only', ''],
  'sdk-bare': ['SDK, stand-in: spans and histograms, bare', ''],
};
for (const setting of settings) console.log(line(labels[setting]?.[0] ?? setting, setting, labels[setting]?.[1] ?? ''));
if (settings.includes('sdk') && settings.includes('sdk-context')) {
  const own = median(capacities.get('sdk')!) / median(capacities.get('sdk-context')!);
  console.log(`  @hookguard/otel's own share: SDK ÷ the same SDK with its context manager entered: ${own.toFixed(3)} per CPU-second`);
}
