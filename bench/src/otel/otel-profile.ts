// CPU profile of one otel-server setting under load, for finding where the instrumentation's time
// goes: the server child runs with --cpu-prof, the profile lands in --dir.
//
//   npx tsx src/otel/otel-profile.ts [--setting sdk] [--seconds 5] [--dir /tmp] [--connections 32]
//   then: npx tsx src/profile-summary.ts <dir>/<file>.cpuprofile --requests <answered>
import { fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import { DeliveryPool } from '../http/deliveries.js';
import { generateLoad } from '../http/load-generator.js';

const { values } = parseArgs({
  options: { setting: { type: 'string', default: 'sdk' }, seconds: { type: 'string', default: '5' }, dir: { type: 'string', default: '.' }, connections: { type: 'string', default: '32' } },
});
const child = fork(new URL('./otel-server.ts', import.meta.url), [values.setting], {
  execArgv: [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${values.dir}`],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const port = await new Promise<number>((resolve) => child.once('message', (message: { port: number }) => resolve(message.port)));
const pool = new DeliveryPool();
pool.refill(50_000);
const warmUp = await generateLoad(pool, { port, connections: Number(values.connections), durationSeconds: 1 });
pool.refill(Math.ceil(40_000 * Number(values.seconds)));
const load = await generateLoad(pool, { port, connections: Number(values.connections), durationSeconds: Number(values.seconds) });
console.log(`${values.setting}: ${warmUp.ok + load.ok} answered in all (pass to --requests), ${Math.round(load.okPerSecond)}/s in the measured round`);
child.disconnect();
await new Promise((resolve) => child.once('exit', resolve));
