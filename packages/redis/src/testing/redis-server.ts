import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { respCommand, type RedisAddress } from './resp-command.js';

/** Options for {@link startRedisServer}. */
export type RedisServerOptions = {
  /** Loopback TCP port; `0` listens on no port (then pass `unixSocket`). */
  port: number;
  /** Also listen on this Unix socket path. */
  unixSocket?: string;
  /** Extra `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. */
  args?: readonly string[];
  /** Working directory for the server's files; a new temporary one (removed on stop) when absent. */
  dir?: string;
  /**
   * How long to wait for the server to answer PING.
   * @default 10_000
   */
  startTimeoutMs?: number;
};

/** A `redis-server` child process. */
export type RedisServer = {
  readonly address: RedisAddress;
  readonly pid: number;
  /** Freezes the process (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void;
  /** Thaws a paused process (SIGCONT). */
  resume(): void;
  /** Stops the server (SIGKILL when `abrupt`, else SIGTERM) and removes the directory it created. */
  stop(options?: { abrupt?: boolean }): Promise<void>;
};

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A crashed or interrupted test run must not leave servers holding the ports.
  process.once('exit', () => {
    for (const process of running) process.kill('SIGKILL');
  });
}

/**
 * Whether `redis-server` can be started from the PATH.
 *
 * @example
 * ```ts
 * if (!redisServerInstalled()) console.warn('redis-server is not installed');
 * ```
 */
export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether a Redis server answers PING at `address` within `timeoutMs`.
 *
 * @example
 * ```ts
 * const up = await redisAnswers({ port: 6379 });
 * ```
 */
export async function redisAnswers(address: RedisAddress, timeoutMs = 1000): Promise<boolean> {
  try {
    return (await respCommand(address, ['PING'], timeoutMs)) === 'PONG';
  } catch {
    return false;
  }
}

/** A counter of `INFO commandstats`: how often a command ran, or failed (`failed_calls`). */
export type CommandCounter = 'calls' | 'failed_calls' | 'rejected_calls';

/**
 * The server's per-command counters as `INFO commandstats` gives them now (a script's own calls
 * included), read through `client`.
 *
 * @example
 * ```ts
 * const count = await commandStats(client);
 * count('set'); count('set', 'failed_calls');
 * ```
 */
export async function commandStats(client: { info(section: 'commandstats'): Promise<string> }): Promise<(command: string, counter?: CommandCounter) => number> {
  const stats = await client.info('commandstats');
  return (command, counter = 'calls') => Number(new RegExp(`cmdstat_${command}:(?:.*?,)?${counter}=(\\d+)`).exec(stats)?.[1] ?? 0);
}

/** Polls `check` every 50 ms until it resolves true; rejects with `describe()` after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(describe());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts `redis-server` as a child process bound to 127.0.0.1, without persistence, and resolves
 * once it answers PING. Rejects with the server's own output when it exits or stays silent.
 *
 * @example
 * ```ts
 * const server = await startRedisServer({ port: 7110 });
 * try {
 *   // ...
 * } finally {
 *   await server.stop();
 * }
 * ```
 */
export async function startRedisServer(options: RedisServerOptions): Promise<RedisServer> {
  if (options.port !== 0 && (await redisAnswers({ port: options.port }, 300))) {
    throw new Error(`a Redis server already answers on 127.0.0.1:${options.port}; stop it or pick another port`);
  }
  const ownDir = options.dir === undefined ? await mkdtemp(join(tmpdir(), 'hookguard-redis-')) : undefined;
  const dir = options.dir ?? ownDir!;
  const args = [
    '--port', String(options.port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--appendonly', 'no',
    '--daemonize', 'no',
    ...(options.unixSocket === undefined ? [] : ['--unixsocket', options.unixSocket]),
    ...(options.args ?? []),
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (error) => {
      output += `\n${error.message}`;
      exited = true;
      resolve();
    });
  });
  const address: RedisAddress = options.port === 0 ? { path: options.unixSocket ?? '' } : { port: options.port };
  const where = 'path' in address ? address.path : `127.0.0.1:${address.port}`;

  const stop = async ({ abrupt = false }: { abrupt?: boolean } = {}): Promise<void> => {
    if (!exited) {
      child.kill('SIGCONT');
      child.kill(abrupt ? 'SIGKILL' : 'SIGTERM');
      const fallback = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(fallback);
    }
    if (ownDir !== undefined) await rm(ownDir, { recursive: true, force: true });
  };

  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`redis-server for ${where} exited during startup:\n${output}`);
        return redisAnswers(address, 500);
      },
      options.startTimeoutMs ?? 10_000,
      () => `redis-server for ${where} did not answer PING within ${options.startTimeoutMs ?? 10_000} ms:\n${output}`,
    );
  } catch (error) {
    await stop({ abrupt: true });
    throw error;
  }

  return {
    address,
    pid: child.pid!,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    stop,
  };
}
