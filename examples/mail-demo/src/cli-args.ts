import { parseArgs } from 'node:util';
import { QUEUES, type QueueKind } from './open-queue.js';
import { STORES, type StoreKind } from './open-store.js';
import type { DemoOptions } from './run-demo.js';
import { FRAMEWORKS, type Framework } from './serve-app.js';

export const USAGE = `Usage: npm run demo -- [options]

A simulated mail provider delivers signed message.received webhooks at least once (retries,
duplicates, lost answers, concurrent redeliveries, forged copies) to an example receiver app,
whose handler replies to each message once through the provider's API with ctx.once().

Options:
  --framework <name>    express (default), hono or fastify
  --store <name>        memory (default), redis or postgres
  --queue <name>        queued mode on bullmq (Redis) or postgres (pg-boss): the receiver answers
                        as soon as the event is queued and a worker replies (default: inline mode)
  --events <n>          events to send (default 200; 40 with --quick)
  --quick               a short run, for tests and a first look
  --seed <n>            fixes every injected fault, to reproduce a run (default 1)
  --concurrency <n>     events in flight at once (default 16)
  --redis-url <url>     for --store redis (default redis://127.0.0.1:6379)
  --postgres-url <url>  for --store postgres (default postgres://postgres@127.0.0.1:5432/test)
  --without-once        reply without ctx.once, to see the duplicate replies it prevents
  --verbose             print the receiver's warnings and errors
  --help                show this help

Exit status: 0 when every event was handled and no reply was sent twice, 1 when not, 2 when the
demo could not start (a bad option, an unreachable store).`;

/** A command-line mistake, reported with the usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type CliOptions = { help: boolean; verbose: boolean; demo: DemoOptions };

/** Parses the demo's flags; throws {@link UsageError} on anything it does not know. */
export function parseCliArgs(argv: readonly string[]): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        framework: { type: 'string' },
        store: { type: 'string' },
        queue: { type: 'string' },
        events: { type: 'string' },
        quick: { type: 'boolean', default: false },
        seed: { type: 'string' },
        concurrency: { type: 'string' },
        'redis-url': { type: 'string' },
        'postgres-url': { type: 'string' },
        'without-once': { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const demo: DemoOptions = {};
  if (values.framework !== undefined) demo.framework = oneOf('--framework', values.framework, FRAMEWORKS) as Framework;
  if (values.store !== undefined) demo.store = oneOf('--store', values.store, STORES) as StoreKind;
  if (values.queue !== undefined) demo.queue = oneOf('--queue', values.queue, QUEUES) as QueueKind;
  if (values.events !== undefined) demo.events = integer('--events', values.events, 1);
  else if (values.quick) demo.events = 40;
  if (values.seed !== undefined) demo.seed = integer('--seed', values.seed, 0);
  if (values.concurrency !== undefined) demo.concurrency = integer('--concurrency', values.concurrency, 1);
  if (values['redis-url'] !== undefined) demo.redisUrl = values['redis-url'];
  if (values['postgres-url'] !== undefined) demo.postgresUrl = values['postgres-url'];
  if (values['without-once']) demo.once = false;
  return { help: values.help, verbose: values.verbose, demo };
}

function oneOf(flag: string, value: string, allowed: readonly string[]): string {
  if (!allowed.includes(value)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}; received '${value}'.`);
  return value;
}

function integer(flag: string, value: string, minimum: number): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < minimum) {
    throw new UsageError(`${flag} must be a whole number of at least ${minimum}; received '${value}'.`);
  }
  return number;
}
