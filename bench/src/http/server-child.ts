// The server side of an HTTP round, in its own process so the load generator's CPU time and the
// server's are measured apart. Started by ServerProcess with the configuration as JSON in argv[2].
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { startServer } from './server-apps.js';
import type { ServerCommand, ServerConfig, ServerCounters, ServerMessage } from './server-config.js';

const config = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
// argv[3]: write a CPU profile of the rounds to this file on exit.
const profilePath = process.argv[3];
let session: Session | undefined;
const counters: ServerCounters = { requests: 0, processed: 0, duplicates: 0, errors: 0 };

function send(message: ServerMessage): void {
  process.send?.(message);
}

let cpuAtStart = process.cpuUsage();
let wallAtStart = process.hrtime.bigint();

// The profiler starts with the first round, so start-up stays out of the profile.
let profiling = Promise.resolve();
function profile(step: 'start' | 'write'): Promise<void> {
  profiling = profiling.then(async () => {
    if (step === 'start') {
      if (session === undefined) {
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 200 });
        await session.post('Profiler.start');
      }
      return;
    }
    // From the first round to exit: the time between rounds is idle and the summary leaves it out.
    if (session !== undefined) {
      const { profile: result } = await session.post('Profiler.stop');
      await writeFile(profilePath!, JSON.stringify(result));
    }
  });
  return profiling;
}

try {
  const server = await startServer(config, counters);
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
