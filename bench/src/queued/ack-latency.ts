// Queued mode's figures (issue: "Queued mode"), side by side in one run:
//   - acknowledgement time (p50, p99) of each queue against inline mode with a 0 ms handler, at
//     concurrency 1 and 64; the queued servers run a worker with 30 s handlers meanwhile;
//   - accepted deliveries per server CPU second, queued ÷ inline, both with a 0 ms handler.
// Run: npm run build && node_modules/.bin/tsx bench/src/queued/ack-latency.ts [--quick]
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { staleBuilds } from '../built-packages.js';
import { median } from '../report/statistics.js';
import type { AckServerConfig } from './ack-server.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SERVER = fileURLToPath(new URL('./ack-server.ts', import.meta.url));
const quick = process.argv.includes('--quick');
const REQUESTS = quick ? 300 : 2_000;
const ROUNDS = quick ? 2 : 4;
const signer = new Webhook(SECRET);

type Server = { child: ChildProcess; url: string; cpu(): Promise<number>; stop(): void };

async function startServer(config: AckServerConfig): Promise<Server> {
  const child = fork(SERVER, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ACK_SERVER_CONFIG: JSON.stringify(config) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port: number }) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`the ${config.mode} server exited with ${code}`)));
  });
  return {
    child,
    url: `http://127.0.0.1:${port}/webhooks`,
    cpu: () =>
      new Promise((resolve) => {
        child.once('message', (message: { seconds: number }) => resolve(message.seconds));
        child.send({ type: 'cpu' });
      }),
    stop: () => child.kill('SIGKILL'),
  };
}

function delivery(id: string): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ type: 'order.created', timestamp: new Date().toISOString(), data: { id } });
  const now = new Date();
  return { body, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': signer.sign(id, now, body) } };
}

/** Sends `count` new events at `concurrency`; the acknowledgement time of each, in ms. */
async function round(url: string, count: number, concurrency: number): Promise<number[]> {
  const prepared = Array.from({ length: count }, () => delivery(`evt_${randomUUID()}`));
  const times: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < prepared.length) {
        const { body, headers } = prepared[next++]!;
        const started = performance.now();
        const response = await fetch(url, { method: 'POST', body, headers });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`answer ${response.status}`);
        times.push(performance.now() - started);
      }
    }),
  );
  return times;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const stale = staleBuilds();
if (stale.length > 0) throw new Error(`stale builds (${stale.join(', ')}): run npm run build first`);

const modes = ['inline', 'bullmq', 'pg-boss'] as const;
const run = `hgbench-${randomUUID().slice(0, 6)}`;
const latency = await Promise.all(
  modes.map((mode) => startServer({ mode, run: `${run}-lat-${mode}`, secret: SECRET, handlerMs: mode === 'inline' ? 0 : 30_000, workerConcurrency: mode === 'inline' ? 0 : 64 })),
);
const throughput = await Promise.all(modes.map((mode) => startServer({ mode, run: `${run}-cpu-${mode}`, secret: SECRET, handlerMs: 0, workerConcurrency: 0 })));
try {
  for (const concurrency of [1, 64]) {
    const times = new Map<string, number[]>(modes.map((mode) => [mode, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const [index, mode] of modes.entries()) times.get(mode)!.push(...(await round(latency[index]!.url, REQUESTS / ROUNDS, concurrency)));
    }
    for (const mode of modes) {
      const all = times.get(mode)!;
      console.log(`ack c=${concurrency} ${mode.padEnd(8)} p50 ${percentile(all, 50).toFixed(2)} ms  p99 ${percentile(all, 99).toFixed(2)} ms  (${mode === 'inline' ? '0 ms handler' : 'worker running 30 s handlers'})`);
    }
  }
  // Deliveries per server CPU second, interleaved rounds, queued ÷ inline per round.
  const perCpu = new Map<string, number[]>(modes.map((mode) => [mode, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [index, mode] of modes.entries()) {
      const server = throughput[index]!;
      const before = await server.cpu();
      await round(server.url, REQUESTS / ROUNDS, 16);
      perCpu.get(mode)!.push(REQUESTS / ROUNDS / ((await server.cpu()) - before));
    }
  }
  const inline = perCpu.get('inline')!;
  for (const mode of modes) {
    const values = perCpu.get(mode)!;
    const ratios = values.map((value, index) => value / inline[index]!);
    console.log(`accepted per server CPU s ${mode.padEnd(8)} ${median(values).toFixed(0)}/s  ÷ inline ${median(ratios).toFixed(2)} (rounds ${ratios.map((x) => x.toFixed(2)).join(', ')})`);
  }
} finally {
  for (const server of [...latency, ...throughput]) server.stop();
}
process.exit(0);
