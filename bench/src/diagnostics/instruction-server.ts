// The server side of instruction-counts.ts: one adapter-round server (adapter-servers.ts) or one
// framework server of the HTTP rounds (server-apps.ts, `<framework>-<handling>`), run under
// callgrind. Prints its port on stdout, and exits when its one client closes the connection (an
// adapter-round server) or when its standard input ends (a framework server, whose app owns its
// sockets).
//
//   node --import tsx bench/src/diagnostics/instruction-server.ts <kind>
import { ADAPTER_SERVERS, startAdapterServer, type AdapterServer } from '../adapters/adapter-servers.js';
import { startServer } from '../http/server-apps.js';
import { frameworkServerConfig } from './instruction-kinds.js';

const kind = process.argv[2]!;
const counters = { requests: 0, processed: 0, duplicates: 0, errors: 0 };
if ((ADAPTER_SERVERS as readonly string[]).includes(kind)) {
  const { port } = await startAdapterServer(kind as AdapterServer, counters, (socket) => {
    socket.once('close', () => process.exit(0));
  });
  process.stdout.write(`${port}\n`);
} else {
  const { port } = await startServer(frameworkServerConfig(kind), counters);
  process.stdin.on('end', () => process.exit(0)).resume();
  process.stdout.write(`${port}\n`);
}
