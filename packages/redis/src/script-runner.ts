import { createHash } from 'node:crypto';
import { WebhookError } from '@hookguard/core';
import { Command, type Cluster, type Redis } from 'ioredis';
import { TimeoutQueue, type Expirable } from './timeout-queue.js';

/** The ioredis clients a store accepts: a standalone (or Sentinel) client or a Cluster. */
export type RedisClient = Redis | Cluster;

/** A store operation, named in error messages. */
export type Operation = 'claim' | 'complete' | 'release' | 'extend' | 'abandon';

/** A script argument after the key. */
export type ScriptArgument = string | number;

/** A Lua script on one key, known to Redis by its SHA-1 once loaded. */
export type LuaScript = {
  readonly operation: Operation;
  readonly lua: string;
  readonly sha: string;
  /** Sent whole (`EVAL`) every time, so it never waits for a `NOSCRIPT` round trip. */
  readonly inline: boolean;
};

/** Prepares `lua` for {@link ScriptRunner.run}. */
export function luaScript(operation: Operation, lua: string, { inline = false }: { inline?: boolean } = {}): LuaScript {
  return { operation, lua, sha: createHash('sha1').update(lua).digest('hex'), inline };
}

/**
 * The same operation as one of Redis's own commands instead of a script, where one does it in
 * the common case (Redis runs a plain command several times faster than a script). Whenever
 * Redis refuses it with an error reply (an older server that lacks the syntax, `OOM`,
 * `READONLY`), the operation goes on as `fallback`, which gives the answer the script would.
 */
export type PlainCommand = {
  readonly operation: Operation;
  /** The command's name, e.g. `set`. */
  readonly name: string;
  /** The command's arguments, its key first, built from the operation's key and arguments. */
  readonly build: (key: string, args: readonly ScriptArgument[]) => ScriptArgument[];
  readonly fallback: FollowUp<unknown>;
};

/** Prepares a {@link PlainCommand}. */
export function plainCommand(
  operation: Operation,
  name: string,
  build: (key: string, args: readonly ScriptArgument[]) => ScriptArgument[],
  fallback: FollowUp<unknown>,
): PlainCommand {
  return { operation, name, build, fallback };
}

/** A script or a plain command: what {@link ScriptRunner.run} sends. */
export type StoreCommand = LuaScript | PlainCommand;

/**
 * What a reply decoder returns when the answer takes another command: the operation sends
 * `script` with the same key and arguments, under the same deadline, and decodes its reply with
 * `decode`.
 */
export class FollowUp<T> {
  constructor(
    readonly script: LuaScript,
    readonly decode: ReplyDecoder<T>,
  ) {}
}

const isPlain = (command: StoreCommand): command is PlainCommand => 'build' in command;
const isReplyError = (error: unknown): error is Error => error instanceof Error && error.name === 'ReplyError';
// What Redis (and proxies in front of it) answer to options they do not know: Redis before 7.0
// refuses `SET … NX GET` with `ERR syntax error`.
const isUnsupported = (error: Error): boolean => /syntax|unknown|wrong number|not supported|unsupported/i.test(error.message);

/** The error every failed operation rejects with, so the receiver applies its store-error policy. */
export function storeUnavailable(operation: Operation, cause: unknown): WebhookError {
  // Redis and ioredis end some messages with a period ('Connection is closed.'): one is enough.
  const reason = (cause instanceof Error ? cause.message : String(cause)).replace(/\.+$/, '');
  return new WebhookError(
    'ERR_HOOKGUARD_STORE_UNAVAILABLE',
    `Redis failed a hookguard ${operation}: ${reason}. Check that Redis is reachable, writable (not a replica, ` +
      `not at maxmemory) and that nothing else writes keys under the store's prefix.`,
    { cause },
  );
}

function timedOut(operation: Operation, timeoutMs: number): WebhookError {
  return new WebhookError(
    'ERR_HOOKGUARD_STORE_UNAVAILABLE',
    `Redis did not answer a hookguard ${operation} within commandTimeoutMs (${timeoutMs} ms): it is unreachable, ` +
      `stalled or overloaded. Check the connection, or raise commandTimeoutMs if Redis is only slow.`,
  );
}

const isNoScript = (error: unknown): boolean => error instanceof Error && error.message.startsWith('NOSCRIPT');

/**
 * Turns a reply into the operation's answer, or into the {@link FollowUp} that gives it; `args`
 * are the operation's arguments.
 */
export type ReplyDecoder<T> = (reply: unknown, args: readonly ScriptArgument[]) => T | FollowUp<T>;

/** Runs once when an operation rejects, e.g. to withdraw a command that may still land. */
export type FailureHandler = (runner: ScriptRunner, key: string, args: readonly ScriptArgument[]) => void;

/**
 * Runs the store's commands through a user's ioredis client: scripts as `EVALSHA`, falling back
 * to `EVAL` (which also caches the script) when the server answers `NOSCRIPT` (a restarted server,
 * a promoted replica, `SCRIPT FLUSH`), and plain commands as they are, going on to their script
 * when Redis refuses them. Commands carry their key, so a Cluster routes each by its slot. Every
 * call settles within `timeoutMs`, its follow-ups included, even while ioredis queues or retries
 * the command.
 *
 * @example
 * ```ts
 * const runner = new ScriptRunner(client, 2000);
 * const released = await runner.run(RELEASE, 'hookguard:stripe:evt_1', [token], (reply) => reply === 1);
 * ```
 */
export class ScriptRunner {
  readonly timeoutMs: number;
  readonly timeouts: TimeoutQueue;
  /** The plain commands this server refused as unknown syntax: their scripts run instead. */
  readonly #unsupported = new Set<PlainCommand>();
  readonly #client: RedisClient;
  readonly #autoPipelining: boolean;
  readonly #commandOptions: { replyEncoding: 'utf8'; keyPrefix?: string };

  constructor(client: RedisClient, timeoutMs: number) {
    this.#client = client;
    this.timeoutMs = timeoutMs;
    this.timeouts = new TimeoutQueue(timeoutMs);
    const { keyPrefix, enableAutoPipelining } = client.options as { keyPrefix?: string; enableAutoPipelining?: boolean };
    this.#autoPipelining = enableAutoPipelining === true;
    this.#commandOptions = keyPrefix ? { replyEncoding: 'utf8', keyPrefix } : { replyEncoding: 'utf8' };
  }

  /**
   * Settles with `decode(reply, args)`, or rejects with `ERR_HOOKGUARD_STORE_UNAVAILABLE` when
   * Redis fails or has not answered within the timeout. `onFailure` runs once on rejection.
   */
  run<T>(
    command: StoreCommand,
    key: string,
    args: readonly ScriptArgument[],
    decode: ReplyDecoder<T>,
    onFailure?: FailureHandler,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const call = new ScriptCall(this, command, key, args, decode, onFailure, resolve, reject);
      this.timeouts.add(call);
      call.send(!isPlain(command) && command.inline);
    });
  }

  /** `false` once this server refused `command` as unknown syntax (Redis before 7.0). */
  supports(command: PlainCommand): boolean {
    return !this.#unsupported.has(command);
  }

  /** Remembers that this server does not know `command`'s syntax. */
  refused(command: PlainCommand): void {
    this.#unsupported.add(command);
  }

  /** Sends `command` (a plain command as it is, a script as `EVALSHA` or, `whole`, `EVAL`) and resolves with its reply. */
  send(command: StoreCommand, whole: boolean, key: string, args: readonly ScriptArgument[]): Promise<unknown> {
    const plain = isPlain(command);
    const name = plain ? command.name : whole ? 'eval' : 'evalsha';
    const sent = plain ? command.build(key, args) : [whole ? command.lua : command.sha, 1, key, ...args];
    try {
      if (this.#autoPipelining) {
        // Through the client's own command function, so its automatic pipelining applies.
        return (this.#client as unknown as Record<string, (...sent: ScriptArgument[]) => Promise<unknown>>)[name]!(...sent);
      }
      const pending = new Command(name, sent, this.#commandOptions);
      this.#client.sendCommand(pending);
      return pending.promise;
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/** One operation in flight: its own state instead of a handful of closures and a timer. */
class ScriptCall<T> implements Expirable {
  readonly deadline: number;
  settled = false;
  #reloaded = false;

  constructor(
    readonly runner: ScriptRunner,
    public command: StoreCommand,
    readonly key: string,
    readonly args: readonly ScriptArgument[],
    public decode: ReplyDecoder<T>,
    readonly onFailure: FailureHandler | undefined,
    readonly resolve: (value: T) => void,
    readonly reject: (error: WebhookError) => void,
  ) {
    this.deadline = runner.timeouts.deadline();
  }

  send(whole: boolean): void {
    this.runner.send(this.command, whole, this.key, this.args).then(
      (reply) => this.#reply(reply),
      (error: unknown) => this.#error(error),
    );
  }

  // A command that timed out may still run later (it was queued or already sent): see
  // docs/stores/redis.md, "Command timeout".
  expire(): void {
    this.#fail(timedOut(this.command.operation, this.runner.timeoutMs));
  }

  #reply(reply: unknown): void {
    if (this.settled) return;
    let value: T | FollowUp<T>;
    try {
      value = this.decode(reply, this.args);
    } catch (error) {
      this.#fail(storeUnavailable(this.command.operation, error));
      return;
    }
    if (value instanceof FollowUp) {
      this.#follow(value);
      return;
    }
    this.settled = true;
    this.runner.timeouts.prune();
    this.resolve(value);
  }

  // The next command of the same operation: same key, arguments and deadline.
  #follow(next: FollowUp<T>): void {
    this.command = next.script;
    this.decode = next.decode;
    this.send(next.script.inline);
  }

  #error(error: unknown): void {
    if (this.settled) return;
    const { command } = this;
    if (isPlain(command) && isReplyError(error)) {
      // Refused, so it did nothing: the script does the same and answers as the command would have.
      if (isUnsupported(error)) this.runner.refused(command);
      this.#follow(command.fallback as FollowUp<T>);
      return;
    }
    if (!this.#reloaded && isNoScript(error)) {
      this.#reloaded = true;
      this.send(true);
      return;
    }
    this.#fail(storeUnavailable(command.operation, error));
  }

  #fail(error: WebhookError): void {
    if (this.settled) return;
    this.settled = true;
    this.runner.timeouts.prune();
    this.reject(error);
    try {
      this.onFailure?.(this.runner, this.key, this.args);
    } catch {
      // The rejection above already reports the failure; a failing clean-up adds nothing.
    }
  }
}
