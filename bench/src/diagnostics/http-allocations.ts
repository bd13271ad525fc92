/**
 * Bytes allocated per request by whole servers on bare node:http (the adapter rounds' servers:
 * `minimal`, `hookguard`, `hookguard-github`, `octokit`, `web`, `web-minimal`), under load from
 * autocannon, with V8's sampling heap profiler in each server counting collected objects too. Beside
 * `allocation-sites.ts` (the receiver alone, in one process): this one includes node:http's own
 * allocations and the adapter's, which a profile of CPU time alone does not show.
 *
 *   npm run build && node --import tsx bench/src/diagnostics/http-allocations.ts minimal hookguard [--seconds 3] [--top 15]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ADAPTER_SERVERS, startAdapterServer, type AdapterServer } from '../adapters/adapter-servers.js';
import { GitHubDeliveryPool } from '../adapters/github-deliveries.js';
import { BODY, DeliveryPool } from '../http/deliveries.js';
import { autocannon } from '../modules/autocannon.js';

type SampledNode = { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: SampledNode[] };
type Report = { kind: string; requests: number; total: number; sites: [string, number][] };

if (process.argv[2] === '--child') {
  const kind = process.argv[3] as AdapterServer;
  const counters = { requests: 0, processed: 0, duplicates: 0, errors: 0 };
  const { port } = await startAdapterServer(kind, counters);
  const session = new Session();
  session.connect();
  process.on('message', async (command: string) => {
    if (command === 'start') {
      counters.requests = 0;
      await session.post('HeapProfiler.startSampling', { samplingInterval: 128, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true } as never);
      process.send?.('started');
    } else if (command === 'stop') {
      const requests = counters.requests;
      const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: SampledNode } };
      const bySite = new Map<string, number>();
      const walk = (node: SampledNode): void => {
        const { functionName, url, lineNumber } = node.callFrame;
        const site = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(packages|bench)\//, '$1/').replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')}:${lineNumber + 1}`;
        bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
        for (const child of node.children) walk(child);
      };
      walk(profile.head);
      const total = [...bySite.values()].reduce((sum, bytes) => sum + bytes, 0);
      process.send?.({ kind, requests, total, sites: [...bySite].sort((a, b) => b[1] - a[1]) } satisfies Report);
    } else process.exit(0);
  });
  process.send?.({ port });
} else {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { seconds: { type: 'string', default: '3' }, top: { type: 'string', default: '15' } } });
  const kinds = positionals.filter((kind): kind is AdapterServer => (ADAPTER_SERVERS as readonly string[]).includes(kind));
  if (kinds.length === 0) {
    console.error(`usage: http-allocations.ts <${ADAPTER_SERVERS.join('|')}> … [--seconds 3] [--top 15]`);
    process.exit(2);
  }
  const self = fileURLToPath(import.meta.url);
  for (const kind of kinds) {
    const child: ChildProcess = fork(self, ['--child', kind], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve) => child.once('message', (message: { port: number }) => resolve(message.port)));
    const github = kind === 'hookguard-github' || kind === 'octokit';
    const pool = new DeliveryPool();
    const githubPool = new GitHubDeliveryPool();
    const load = async (seconds: number): Promise<void> => {
      if (github) githubPool.refill(30_000 * seconds);
      else pool.refill(30_000 * seconds);
      await autocannon({
        url: `http://127.0.0.1:${port}/webhooks`,
        connections: 50,
        duration: seconds,
        requests: [{ method: 'POST', path: '/webhooks', setupRequest: (request) => ({ ...request, ...(github ? githubPool.next() : { headers: pool.next(), body: BODY }) }) }],
      });
    };
    await load(1); // warm-up
    await new Promise((resolve) => (child.once('message', resolve), child.send('start')));
    await load(Number(values.seconds));
    const report = await new Promise<Report>((resolve) => (child.once('message', resolve), child.send('stop')));
    child.send('exit');
    console.log(`${kind}: ${Math.round(report.total / report.requests)} bytes allocated per request over ${report.requests} requests; by function (inlined callees count as their caller):`);
    for (const [site, bytes] of report.sites.slice(0, Number(values.top))) console.log(`  ${String(Math.round(bytes / report.requests)).padStart(6)}  ${site}`);
  }
}
