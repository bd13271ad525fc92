/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, or `npm run bench -- --profile`): the functions
 * and the files or packages with the most self time, and the total time under chosen functions.
 *
 *   node_modules/.bin/tsx bench/src/profile-summary.ts <file.cpuprofile> [--top 25] [--under name,…]
 *     [--under-place packages/core/,packages/fastify/] [--callers name] [--requests N]
 *
 * `--under` gives the time of samples with the named function anywhere on the stack (inclusive),
 * `--under-place` the same for any function of a file or package whose path starts with the prefix.
 * `--requests N` (the requests the profiled server answered: the round log's new + duplicates,
 * warm-up included) adds the time per request beside each share, to compare two servers' profiles.
 */
import { readFileSync } from 'node:fs';

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
};
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

/** Where a script lives, short: a package name or a workspace path. */
function place(url: string): string {
  if (url === '') return '(native)';
  const path = url.replace(/^file:\/\//, '');
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  if (pnpm !== null) return pnpm[1]!;
  const workspace = /\/work\/main\/(.+)$/.exec(path);
  if (workspace !== null) return workspace[1]!;
  return path.startsWith('node:') ? path : path.split('/').slice(-2).join('/');
}

const args = process.argv.slice(2);
const file = args.find((argument) => !argument.startsWith('--'));
if (file === undefined) {
  console.error('usage: profile-summary.ts <file.cpuprofile> [--top 25] [--under name,…]');
  process.exit(1);
}
const topIndex = args.indexOf('--top');
const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 25;
const underIndex = args.indexOf('--under');
const under = underIndex >= 0 ? (args[underIndex + 1] ?? '').split(',') : [];
const underPlaceIndex = args.indexOf('--under-place');
const underPlaces = underPlaceIndex >= 0 ? (args[underPlaceIndex + 1] ?? '').split(',') : [];
const callersIndex = args.indexOf('--callers');
const callersOf = callersIndex >= 0 ? args[callersIndex + 1] : undefined;
const requestsIndex = args.indexOf('--requests');
const requests = requestsIndex >= 0 ? Number(args[requestsIndex + 1]) : undefined;

const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const selfTime = new Map<number, number>();
let total = 0;
for (let index = 0; index < profile.samples.length; index++) {
  const delta = profile.timeDeltas[index] ?? 0;
  selfTime.set(profile.samples[index]!, (selfTime.get(profile.samples[index]!) ?? 0) + delta);
  total += delta;
}
const byFunction = new Map<string, number>();
const callerStacks = new Map<string, number>();
const byPlace = new Map<string, number>();
const underTotals = new Map<string, number>(under.map((name) => [name, 0]));
const underPlaceTotals = new Map<string, number>(underPlaces.map((prefix) => [prefix, 0]));
let idle = 0;
for (const [id, micros] of selfTime) {
  const node = nodes.get(id)!;
  const { functionName, url, lineNumber } = node.callFrame;
  if (functionName === '(idle)') {
    idle += micros;
    continue;
  }
  const name = `${functionName || '(anonymous)'} ${place(url)}${url === '' ? '' : `:${lineNumber + 1}`}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  byPlace.set(place(url), (byPlace.get(place(url)) ?? 0) + micros);
  if (callersOf !== undefined) {
    const frames: string[] = [];
    let found = false;
    for (let cursor: number | undefined = id; cursor !== undefined && frames.length < 8; cursor = parent.get(cursor)) {
      const frame = nodes.get(cursor)!.callFrame;
      if (!found && frame.functionName !== callersOf) continue;
      found = true;
      frames.push(`${frame.functionName || '(anonymous)'} ${place(frame.url)}:${frame.lineNumber + 1}`);
    }
    if (found) callerStacks.set(frames.join(' ← '), (callerStacks.get(frames.join(' ← ')) ?? 0) + micros);
  }
  for (const prefix of underPlaces) {
    for (let cursor: number | undefined = id; cursor !== undefined; cursor = parent.get(cursor)) {
      if (place(nodes.get(cursor)!.callFrame.url).startsWith(prefix)) {
        underPlaceTotals.set(prefix, underPlaceTotals.get(prefix)! + micros);
        break;
      }
    }
  }
  // Inclusive time of the chosen functions: count each sample once per chosen name on its stack.
  const seen = new Set<string>();
  for (let cursor: number | undefined = id; cursor !== undefined; cursor = parent.get(cursor)) {
    const frame = nodes.get(cursor)!.callFrame.functionName;
    if (underTotals.has(frame) && !seen.has(frame)) {
      seen.add(frame);
      underTotals.set(frame, underTotals.get(frame)! + micros);
    }
  }
}
const busy = total - idle;
const share = (micros: number): string =>
  `${((micros / busy) * 100).toFixed(1).padStart(5)} %${requests === undefined ? '' : ` ${(micros / requests).toFixed(2).padStart(7)} µs/request`}`;
console.log(
  `${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (shares below are of busy time)` +
    `${requests === undefined ? '' : `, ${(busy / requests).toFixed(1)} µs busy per request`}\n`,
);
console.log('Self time by function:');
for (const [name, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`  ${share(micros)}  ${name}`);
}
console.log('\nSelf time by file or package:');
for (const [name, micros] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${share(micros)}  ${name}`);
if (callersOf !== undefined) {
  console.log(`\nStacks through ${callersOf}:`);
  for (const [stack, micros] of [...callerStacks].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`  ${share(micros)}  ${stack}`);
}
if (under.length > 0 || underPlaces.length > 0) {
  console.log('\nTotal time under (inclusive):');
  for (const [name, micros] of underTotals) console.log(`  ${share(micros)}  ${name}`);
  for (const [prefix, micros] of underPlaceTotals) console.log(`  ${share(micros)}  anything in ${prefix}*`);
}
