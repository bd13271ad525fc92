/**
 * Two builds of @hookguard/core side by side over HTTP: the same `@hookguard/node` server on bare
 * node:http, one process per build, new signed Standard Webhooks deliveries (GitHub ones with
 * `--verifier github`) from autocannon in alternating rounds. Prints each side's requests per second of its own CPU time and the median
 * of the per-round ratios `after ÷ before`. For changes that only show on a real request stream
 * (reading the body from the socket), which compare-core-builds.ts cannot see.
 *
 *   cp -r packages/core /tmp/core-before        # with the build to compare against
 *   npm run build                               # after the change
 *   node_modules/.bin/tsx bench/src/diagnostics/compare-core-http.ts /tmp/core-before packages/core [--rounds 5] [--seconds 3] [--verifier github]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Core from '@hookguard/core';
import { hookguardNode } from '../adapters/adapter-modules.js';
import { GITHUB_SECRET, GitHubDeliveryPool } from '../adapters/github-deliveries.js';
import { BODY, DeliveryPool, EVENT_TYPE, SECRET } from '../http/deliveries.js';
import { autocannon } from '../modules/autocannon.js';
import { median, pairedRatios } from '../report/statistics.js';

type Stats = { cpuMicros: number; requests: number };
const github = process.argv.includes('github');
const argument = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};

if (process.argv[2] === '--child') {
  // The server: a receiver from the build in argv[3], behind @hookguard/node.
  const core = (await import(pathToFileURL(resolve(process.argv[3]!, 'dist/index.js')).href)) as typeof Core;
  const { webhookMiddleware } = await hookguardNode();
  const verifier = github ? core.github({ secret: GITHUB_SECRET }) : core.standardWebhooks({ secret: SECRET });
  const receiver = core.createReceiver({ verifier, store: new core.MemoryStore(), warnings: { WARN_HOOKGUARD_STORE_NOT_SHARED: false } });
  let requests = 0;
  receiver.on(github ? 'issues.opened' : EVENT_TYPE, () => undefined);
  const server = createServer(webhookMiddleware(receiver, { path: '/webhooks', onResult: () => void requests++ }));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  let cpu = process.cpuUsage();
  process.on('message', (command: string) => {
    if (command === 'start') {
      requests = 0;
      cpu = process.cpuUsage();
    } else if (command === 'stop') {
      const used = process.cpuUsage(cpu);
      process.send?.({ cpuMicros: used.user + used.system, requests } satisfies Stats);
    } else process.exit(0);
  });
  process.send?.({ port: (server.address() as AddressInfo).port });
} else {
  const [beforeDirectory, afterDirectory] = process.argv.slice(2).filter((text) => !text.startsWith('--') && !/^\d+$/.test(text) && text !== 'github');
  if (beforeDirectory === undefined || afterDirectory === undefined) {
    console.error('usage: compare-core-http.ts <core package before> <core package after> [--rounds 5] [--seconds 3]');
    process.exit(2);
  }
  const rounds = argument('--rounds', 5);
  const seconds = argument('--seconds', 3);
  const self = fileURLToPath(import.meta.url);
  const start = (directory: string): Promise<{ child: ChildProcess; port: number }> => {
    const child = fork(self, ['--child', directory, ...(github ? ['--verifier', 'github'] : [])], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((ready) => child.once('message', (message: { port: number }) => ready({ child, port: message.port })));
  };
  const sides = { before: await start(beforeDirectory), after: await start(afterDirectory) };
  const pool = new DeliveryPool();
  const githubPool = new GitHubDeliveryPool();
  const next = github
    ? (): { headers: Record<string, string>; body: Buffer } => githubPool.next()
    : (): { headers: Record<string, string>; body: Buffer } => ({ headers: pool.next(), body: BODY });
  const ask = (child: ChildProcess): Promise<Stats> => new Promise((answer) => (child.once('message', answer), child.send('stop')));
  const run = async (side: keyof typeof sides, duration: number): Promise<number> => {
    const { child, port } = sides[side];
    pool.rewind();
    githubPool.rewind();
    child.send('start');
    await autocannon({
      url: `http://127.0.0.1:${port}/webhooks`,
      connections: 50,
      duration,
      requests: [{ method: 'POST', path: '/webhooks', setupRequest: (request) => ({ ...request, ...next() }) }],
    });
    const stats = await ask(child);
    return stats.requests / (stats.cpuMicros / 1e6);
  };
  const perCpuSecond: Record<keyof typeof sides, number[]> = { before: [], after: [] };
  for (let round = 0; round <= rounds; round++) {
    // Round 0 warms both servers up; fresh ids every round, the same ones for both sides.
    if (github) githubPool.refill(Math.min(300_000, 60_000 * (seconds + 1)));
    else pool.refill(60_000 * (seconds + 1));
    for (const side of round % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const)) {
      const rate = await run(side, round === 0 ? 1 : seconds);
      if (round > 0) perCpuSecond[side].push(rate);
    }
  }
  const ratios = pairedRatios(perCpuSecond.after, perCpuSecond.before);
  console.log(
    `@hookguard/node, new ${github ? 'GitHub' : 'Standard Webhooks'} events: before ${Math.round(median(perCpuSecond.before))} req/CPU-s, after ${Math.round(median(perCpuSecond.after))} req/CPU-s; ` +
      `after ÷ before ${median(ratios).toFixed(3)} (rounds ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)})`,
  );
  for (const { child } of Object.values(sides)) child.send('exit');
}
