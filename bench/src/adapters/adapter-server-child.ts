// The server side of an adapter round, in its own process so the load generator's CPU time and
// the server's are measured apart. Speaks server-child.ts's protocol; the server kind is argv[2],
// and argv[3], when given, the file to write a CPU profile of the rounds to on exit.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import type { ServerCommand, ServerCounters, ServerMessage } from '../http/server-config.js';
import { startAdapterServer, type AdapterServer } from './adapter-servers.js';

const kind = process.argv[2] as AdapterServer;
const counters: ServerCounters = { requests: 0, processed: 0, duplicates: 0, errors: 0 };
let cpuAtStart = process.cpuUsage();
let wallAtStart = process.hrtime.bigint();
const profilePath = process.argv[3];
let session: Session | undefined;

// As server-child.ts: from the first round to exit, so start-up stays out of the profile.
let profiling = Promise.resolve();
function profile(step: 'start' | 'write'): Promise<void> {
  profiling = profiling.then(async () => {
    if (step === 'start') {
      if (session !== undefined) return;
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
    } else if (session !== undefined) {
      const { profile: result } = await session.post('Profiler.stop');
      await writeFile(profilePath!, JSON.stringify(result));
    }
  });
  return profiling;
}

function send(message: ServerMessage): void {
  process.send?.(message);
}

try {
  const server = await startAdapterServer(kind, counters);
  process.on('message', (command: ServerCommand) => {
    if (command.type === 'start') {
      counters.requests = counters.processed = counters.duplicates = counters.errors = 0;
      cpuAtStart = process.cpuUsage();
      wallAtStart = process.hrtime.bigint();
      if (profilePath !== undefined) void profile('start');
    } else if (command.type === 'stop') {
      const cpu = process.cpuUsage(cpuAtStart);
      send({
        type: 'stats',
        cpuMicros: cpu.user + cpu.system,
        systemCpuMicros: cpu.system,
        wallMicros: Number(process.hrtime.bigint() - wallAtStart) / 1000,
        rssBytes: process.memoryUsage.rss(),
        counters: { ...counters },
      });
    } else {
      void (profilePath === undefined ? Promise.resolve() : profile('write'))
        .then(() => server.close())
        .finally(() => process.exit(0));
      setTimeout(() => process.exit(0), 10_000).unref();
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port: server.port });
} catch (error) {
  send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}
