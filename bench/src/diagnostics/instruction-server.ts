// The server side of instruction-counts.ts: one adapter-round server (adapter-servers.ts), run
// under callgrind. Prints its port on stdout, and exits when its one client closes the connection.
//
//   node --import tsx bench/src/diagnostics/instruction-server.ts <kind>
import { startAdapterServer, type AdapterServer } from '../adapters/adapter-servers.js';

const kind = process.argv[2] as AdapterServer;
const { port } = await startAdapterServer(kind, { requests: 0, processed: 0, duplicates: 0, errors: 0 }, (socket) => {
  socket.once('close', () => process.exit(0));
});
process.stdout.write(`${port}\n`);
