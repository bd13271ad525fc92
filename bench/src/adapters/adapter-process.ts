import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ServerCommand, ServerMessage } from '../http/server-config.js';
import type { AdapterServer } from './adapter-servers.js';

/** What the server process measured over one round. */
export type AdapterServerStats = Extract<ServerMessage, { type: 'stats' }>;

/** An adapter-round server in a child process, driven over IPC as ServerProcess drives its own. */
export class AdapterServerProcess {
  readonly kind: AdapterServer;
  readonly port: number;
  readonly #child: ChildProcess;

  private constructor(kind: AdapterServer, port: number, child: ChildProcess) {
    this.kind = kind;
    this.port = port;
    this.#child = child;
  }

  /** Forks the server process and resolves once it listens; with `profileDirectory`, it profiles its rounds. */
  static start(kind: AdapterServer, nodeOptions: readonly string[] = [], profileDirectory?: string): Promise<AdapterServerProcess> {
    const args = profileDirectory === undefined ? [kind] : [kind, join(profileDirectory, `node-http-${kind}.cpuprofile`)];
    const child = fork(new URL('./adapter-server-child.ts', import.meta.url), args, {
      execArgv: [...process.execArgv, ...nodeOptions],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`server ${kind} exited with ${code} before listening`));
      child.once('exit', onExit);
      child.once('message', (message: ServerMessage) => {
        child.off('exit', onExit);
        if (message.type === 'ready') resolve(new AdapterServerProcess(kind, message.port, child));
        else reject(new Error(`server ${kind} failed to start: ${message.type === 'failed' ? message.error : message.type}`));
      });
    });
  }

  /** Resets the server's counters and CPU clock. */
  start(): void {
    this.#send({ type: 'start' });
  }

  /** The server's counters and CPU time since {@link start}. */
  stop(): Promise<AdapterServerStats> {
    return new Promise((resolve, reject) => {
      const onExit = (): void => reject(new Error(`server ${this.kind} exited during a round`));
      this.#child.once('exit', onExit);
      this.#child.once('message', (message: ServerMessage) => {
        this.#child.off('exit', onExit);
        if (message.type === 'stats') resolve(message);
        else reject(new Error(`server ${this.kind} answered ${message.type}`));
      });
      this.#send({ type: 'stop' });
    });
  }

  /** Asks the server to exit and waits for it. */
  close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
      this.#child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.#send({ type: 'exit' });
    });
  }

  #send(command: ServerCommand): void {
    this.#child.send(command);
  }
}
