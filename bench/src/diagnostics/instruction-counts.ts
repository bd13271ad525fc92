/**
 * Machine instructions per request of the adapter-round servers (adapter-servers.ts), counted by
 * valgrind's callgrind: unlike CPU time, the count repeats to within 1 % whatever else the
 * machine is doing, so a change worth a few percent shows. Each server runs under callgrind (with
 * V8's flags of callgrind.ts, so compilation and collection happen at the same points each run)
 * and is sent the same deliveries one at a time over one keep-alive connection, twice:
 * `--requests a,b` of them. The difference of the two counts over `b - a` is the cost of one
 * request once warm, start-up and warm-up cancelled out.
 *
 *   npm run build && node_modules/.bin/tsx bench/src/diagnostics/instruction-counts.ts minimal hookguard [--requests 4000,12000]
 *   … minimal-github hookguard-github octokit
 *   … fastify-minimal fastify-hookguard   (B1's framework servers: <fastify|hono|express>-<bare|minimal|minimal-fingerprint|hookguard|by-hand>)
 *   … --keep /tmp/counts   (keeps callgrind's files, <kind>-<requests>.callgrind, for callgrind_annotate)
 *
 * Instructions are not time: cache misses, the collector's helper threads and the kernel's work
 * are not in them, and under valgrind OpenSSL takes its AVX2 SHA-256 where the CPU may have SHA
 * instructions (so hashing weighs more here than on the machine). Judge changes to the JavaScript
 * path with them; judge throughput with the HTTP rounds.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { AdapterServer } from '../adapters/adapter-servers.js';
import { signedDeliveries } from '../http/deliveries.js';
import { callgrindArgs, collectedInstructions } from './callgrind.js';
import { FRAMEWORK_KINDS, INSTRUCTION_KINDS } from './instruction-kinds.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { requests: { type: 'string', default: '4000,12000' }, keep: { type: 'string' } } });
const kinds = positionals.filter((kind) => INSTRUCTION_KINDS.includes(kind));
const [fewer, more] = values.requests.split(',').map(Number) as [number, number];
if (kinds.length === 0 || kinds.length !== positionals.length || !(fewer > 0 && more > fewer)) {
  console.error(`usage: instruction-counts.ts <${INSTRUCTION_KINDS.join('|')}> … [--requests 4000,12000] [--keep directory]`);
  process.exit(2);
}

if (values.keep !== undefined) mkdirSync(values.keep, { recursive: true });
const SERVER = fileURLToPath(new URL('./instruction-server.ts', import.meta.url));
const WEB_SERVERS: readonly AdapterServer[] = ['web', 'web-minimal', 'web-minimal-fingerprint'];

/** Raw HTTP/1.1 requests for `count` new deliveries of the provider `kind` is sent in the rounds. */
function requests(kind: string, count: number): Buffer[] {
  const github = kind.includes('github') || kind === 'octokit';
  return signedDeliveries(github ? 'github' : 'standard-webhooks', count).map(({ headers, body }) => {
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    const head = `POST /webhooks HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${body.length}\r\n${lines.join('')}\r\n`;
    return Buffer.concat([Buffer.from(head), body]);
  });
}

/** Where a chunked body starting at `start` ends, or `undefined` while its last chunk has not arrived. */
function chunkedEnd(buffered: Buffer, start: number): number | undefined {
  let at = start;
  for (;;) {
    const lineEnd = buffered.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(buffered.subarray(at, lineEnd).toString('latin1'), 16);
    // Each chunk is its size line, its bytes and a CRLF; the last one has size 0 and no bytes.
    const next = lineEnd + 2 + size + 2;
    if (buffered.length < next) return undefined;
    if (size === 0) return next;
    at = next;
  }
}

/** Sends each request once its predecessor's response has arrived whole; resolves with the statuses. */
function sendInTurn(socket: Socket, all: readonly Buffer[]): Promise<Map<number, number>> {
  return new Promise((resolve, reject) => {
    const statuses = new Map<number, number>();
    let buffered = Buffer.alloc(0);
    let sent = 0;
    const next = (): void => {
      if (sent === all.length) {
        socket.off('data', onData);
        resolve(statuses);
        return;
      }
      socket.write(all[sent++]!);
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.subarray(0, end).toString('latin1');
        const length = /\r\ncontent-length: *(\d+)/i.exec(head);
        const total = length === null ? chunkedEnd(buffered, end + 4) : end + 4 + Number(length[1]);
        if (total === undefined || buffered.length < total) return;
        const status = Number(head.slice(9, 12));
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        buffered = buffered.subarray(total);
        next();
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    next();
  });
}

/** Instructions the `kind` server executed, from its start to its exit, answering `count` deliveries. */
async function countInstructions(kind: string, count: number): Promise<number> {
  const all = requests(kind, count);
  const child = spawn(
    'valgrind',
    callgrindArgs(values.keep === undefined ? '/dev/null' : join(values.keep, `${kind}-${count}.callgrind`), SERVER, [kind]),
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('\n')) resolve(Number(stdout.trim()));
    });
    child.once('exit', (code) => reject(new Error(`the ${kind} server exited with ${code} before listening:\n${stderr}`)));
  });
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const statuses = await sendInTurn(socket, all);
  socket.end();
  // A framework server owns its sockets and exits when its standard input ends.
  if (FRAMEWORK_KINDS.includes(kind)) await new Promise((resolve) => socket.once('close', resolve));
  child.stdin.end();
  const code = await exited;
  const collected = collectedInstructions(stderr);
  if (code !== 0 || collected === undefined) throw new Error(`the ${kind} server under callgrind ended with ${code}:\n${stderr}`);
  if (statuses.get(200) !== count) throw new Error(`the ${kind} server answered ${JSON.stringify([...statuses])} to ${count} new deliveries`);
  return collected;
}

const perRequest = new Map<string, number>();
for (const kind of kinds) {
  if ((WEB_SERVERS as readonly string[]).includes(kind)) console.error(`note: ${kind} includes the node:http → Request bridge of the rounds`);
  const small = await countInstructions(kind, fewer);
  const large = await countInstructions(kind, more);
  const each = (large - small) / (more - fewer);
  perRequest.set(kind, each);
  console.log(`${kind.padEnd(18)} ${Math.round(each).toLocaleString('en-US').padStart(9)} instructions per request   (${small.toLocaleString('en-US')} for ${fewer}, ${large.toLocaleString('en-US')} for ${more})`);
}
if (kinds.length > 1) {
  const [first] = kinds;
  for (const kind of kinds.slice(1)) {
    // As B1's figures read: the first server's requests per instruction ÷ the other's.
    console.log(`${first} ÷ ${kind}: ${(perRequest.get(kind)! / perRequest.get(first!)!).toFixed(3)} (requests per instruction of ${first} ÷ of ${kind})`);
  }
}
