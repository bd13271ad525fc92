import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { redactMessage } from '../delivery-log/redact.js';
import type { Receiver } from '../receiver/types.js';
import { answeredWithin } from '../timers/answered-within.js';

/** Where the command writes. */
export type CommandOutput = { log(line: string): void; error(line: string): void };

const USAGE = `Usage:
  hookguard replay --receiver <module> <event id or key>...   run these events again from their stored payloads
  hookguard replay --receiver <module> --all-dead             run every dead-lettered event again
  hookguard dead-letters --receiver <module>                  list dead-lettered events

--timeout-ms <ms> (default 10000): the longest each call to the queue may take; past it the
command fails (exit 1) instead of waiting for an unreachable Redis or PostgreSQL.

<module> exports the receiver your app builds (named export 'receiver', or the default export),
in queued mode. Run TypeScript modules through tsx: npx tsx node_modules/.bin/hookguard …`;

/**
 * The `hookguard` command: replays stored events of a queued-mode receiver, or lists its dead
 * letters. Resolves with the exit code.
 *
 * @example
 * ```ts
 * const code = await runCommand(['replay', '--receiver', './dist/receiver.js', 'evt_1'], console);
 * ```
 */
export async function runCommand(argv: readonly string[], output: CommandOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { receiver: { type: 'string' }, 'all-dead': { type: 'boolean' }, 'timeout-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    output.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [command, ...targets] = parsed.positionals;
  if (parsed.values.help === true || command === undefined) {
    output.log(USAGE);
    return command === undefined && parsed.values.help !== true ? 2 : 0;
  }
  if (command !== 'replay' && command !== 'dead-letters') {
    output.error(`Unknown command '${command}'.\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.receiver === undefined) {
    output.error(`--receiver <module> is required: the module that exports your receiver.\n\n${USAGE}`);
    return 2;
  }
  const timeoutMs = Number(parsed.values['timeout-ms'] ?? DEFAULT_TIMEOUT_MS);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 2_147_483_647) {
    output.error(`--timeout-ms must be an integer number of milliseconds from 1 to 2147483647; received ${parsed.values['timeout-ms'] ?? ''}.\n\n${USAGE}`);
    return 2;
  }
  const receiver = await loadReceiver(parsed.values.receiver);
  const queue = receiver.options.queue;
  if (queue === undefined) {
    output.error('The receiver is in inline mode (no queue): it keeps no events to replay. Pass a queue to createReceiver.');
    return 1;
  }
  try {
    return await run(command, targets, parsed.values['all-dead'] === true, receiver, (work) => within(work, timeoutMs), output);
  } catch (error) {
    if (error !== TIMED_OUT) throw error;
    output.error(
      `The ${queue.name} queue did not answer within ${timeoutMs} ms: check that its Redis or PostgreSQL is reachable from here (the receiver module's connection settings), or raise --timeout-ms.`,
    );
    return 1;
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;
const TIMED_OUT = Symbol('timed out');

/** `work`, or a rejection with {@link TIMED_OUT} after `timeoutMs`. */
async function within<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  const answered = await answeredWithin(work, timeoutMs);
  if (answered === undefined) throw TIMED_OUT;
  return answered.value;
}

/** The command proper, each call to the queue bounded by `bounded`. */
async function run(
  command: 'replay' | 'dead-letters',
  targets: readonly string[],
  allDead: boolean,
  receiver: Receiver,
  bounded: <T>(work: Promise<T>) => Promise<T>,
  output: CommandOutput,
): Promise<number> {
  const queue = receiver.options.queue!;
  if (command === 'dead-letters') {
    const dead = await bounded(queue.deadLetters({ limit: 10_000 }));
    // Masked as the delivery log masks messages: the engine keeps the error as the handler threw it.
    for (const job of dead) output.log(`${job.event.id}\t${job.event.type}\t${job.attempts} attempts\t${job.event.key}\t${redactMessage(job.lastError ?? '')}`);
    output.log(`${dead.length} dead-lettered event(s)`);
    return 0;
  }
  const ids = allDead ? (await bounded(queue.deadLetters({ limit: 10_000 }))).map((job) => job.event.key) : targets;
  if (ids.length === 0) {
    output.error(allDead ? 'No dead-lettered events.' : `Name at least one event id or key, or pass --all-dead.\n\n${USAGE}`);
    return allDead ? 0 : 2;
  }
  let missing = 0;
  for (const id of ids) {
    if (await bounded(receiver.replay(id))) output.log(`replayed ${id}`);
    else {
      missing++;
      output.error(`no stored event for ${id}${foreignKeyHint(id, receiver.options.namespace)}`);
    }
  }
  return missing === 0 ? 0 : 1;
}

/**
 * Why a key the listing showed may not replay: it is another receiver's (two receivers sharing one
 * queue list each other's dead letters), which only that receiver can replay.
 */
function foreignKeyHint(id: string, namespace: string): string {
  const separator = id.indexOf(':');
  if (separator <= 0 || id.startsWith(`${namespace}:`)) return '';
  return ` (a key of the namespace '${id.slice(0, separator)}'? This receiver's namespace is '${namespace}': replay it with the module of the receiver it belongs to)`;
}

async function loadReceiver(path: string): Promise<Receiver> {
  const url = pathToFileURL(isAbsolute(path) ? path : resolve(process.cwd(), path)).href;
  let module: { receiver?: unknown; default?: unknown };
  try {
    module = (await import(url)) as typeof module;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    throw new Error(`${path} is TypeScript, which node does not load by itself: run the command through tsx (npx tsx node_modules/.bin/hookguard …), or point --receiver at the compiled module.`);
  }
  const candidate = module.receiver ?? module.default;
  if (!isReceiver(candidate)) {
    throw new Error(`${path} exports no receiver: export the value createReceiver() returns as 'receiver' or as the default export.`);
  }
  return candidate;
}

function isReceiver(value: unknown): value is Receiver {
  return typeof value === 'object' && value !== null && typeof (value as Receiver).replay === 'function' && typeof (value as Receiver).receive === 'function';
}
