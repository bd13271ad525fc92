// The parent side of app.ts: starts app processes, collects what they report, and makes sure none
// outlives the test (killed in afterAll by the tests, and on exit here whatever happens).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { APP_CONFIG_ENV, type AppConfig, type AppMessage } from './app-config.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const APP_ENTRY = fileURLToPath(new URL('./app.ts', import.meta.url));

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills `child` when this process exits, however it exits. */
export function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const each of running) each.kill('SIGKILL');
  });
}

/**
 * Spawns `node --import tsx --conditions=@hookguard/source <entry>` directly (not tsx's CLI, which
 * would put a second process between this one and the app, so a signal would miss the app).
 */
export function spawnTs(entry: string, options: { env?: Record<string, string>; nodeArgs?: readonly string[]; args?: readonly string[] } = {}): ChildProcess {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', '--conditions=@hookguard/source', entry, ...(options.args ?? [])], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  killOnExit(child);
  return child;
}

type Waiter = { predicate: (message: AppMessage) => boolean; resolve: (message: AppMessage) => void };

/** One running app.ts process. */
export class AppProcess {
  readonly config: AppConfig;
  readonly child: ChildProcess;
  readonly messages: AppMessage[] = [];
  /** Set once the process exited (or was killed); no request should target it afterwards. */
  exited = false;
  port = 0;
  #output = '';
  #waiters: Waiter[] = [];
  readonly #exit: Promise<void>;

  private constructor(config: AppConfig) {
    this.config = config;
    this.child = spawnTs(APP_ENTRY, { env: { [APP_CONFIG_ENV]: JSON.stringify(config) } });
    const collect = (chunk: Buffer): void => {
      this.#output = (this.#output + chunk.toString()).slice(-4000);
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.child.on('message', (message: AppMessage) => {
      this.messages.push(message);
      for (const waiter of [...this.#waiters]) {
        if (!waiter.predicate(message)) continue;
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    });
    this.#exit = new Promise((resolve) => {
      this.child.once('exit', () => {
        this.exited = true;
        resolve();
      });
    });
  }

  /** Starts an app process and resolves once it listens. */
  static async start(config: AppConfig, startTimeoutMs = 30_000): Promise<AppProcess> {
    const app = new AppProcess(config);
    const listening = await Promise.race([
      app.waitFor((message) => message.type === 'listening', startTimeoutMs, 'to listen'),
      app.#exit.then(() => {
        throw new Error(`app process ${config.name} exited during startup:\n${app.#output}`);
      }),
    ]);
    if (listening.type === 'listening') app.port = listening.port;
    return app;
  }

  get name(): string {
    return this.config.name;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/webhooks`;
  }

  /** What the process wrote to stdout and stderr (the last 4 000 characters), for failure messages. */
  get output(): string {
    return this.#output;
  }

  /** Resolves with the first message (already received or still to come) that matches. */
  waitFor(predicate: (message: AppMessage) => boolean, timeoutMs: number, what: string): Promise<AppMessage> {
    const seen = this.messages.find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((waiter) => waiter.resolve !== settle);
        reject(new Error(`app process ${this.name} did not report ${what} within ${timeoutMs} ms:\n${this.#output}`));
      }, timeoutMs);
      const settle = (message: AppMessage): void => {
        clearTimeout(timer);
        resolve(message);
      };
      this.#waiters.push({ predicate, resolve: settle });
    });
  }

  /** Messages of one type. */
  reports<Type extends AppMessage['type']>(type: Type): Extract<AppMessage, { type: Type }>[] {
    return this.messages.filter((message): message is Extract<AppMessage, { type: Type }> => message.type === type);
  }

  /** Sends `signal` (SIGKILL, SIGSTOP, SIGCONT). */
  signal(signal: NodeJS.Signals): void {
    if (signal === 'SIGKILL') this.exited = true;
    this.child.kill(signal);
  }

  /** Kills the process (thawing it first, in case it was stopped) and waits for its exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGCONT');
      this.child.kill('SIGKILL');
    }
    this.exited = true;
    await this.#exit;
  }
}

/** Starts the app processes side by side; stops those that started if one fails. */
export async function startApps(configs: readonly AppConfig[]): Promise<AppProcess[]> {
  const started = await Promise.allSettled(configs.map((config) => AppProcess.start(config)));
  const apps = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure !== undefined) {
    await Promise.all(apps.map((app) => app.stop()));
    throw failure.reason;
  }
  return apps;
}
