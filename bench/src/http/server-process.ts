import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { serverName, type ServerCommand, type ServerConfig, type ServerMessage } from './server-config.js';

/** What the server process measured over one round. */
export type ServerStats = Extract<ServerMessage, { type: 'stats' }>;

/** Options for {@link ServerProcess.start}. */
export type ServerProcessOptions = {
  /** Write a V8 CPU profile of the server's measured rounds into this directory when it exits. */
  profileDirectory?: string;
  /** Extra Node options for the server process (`--max-semi-space-size=32`). */
  nodeOptions?: readonly string[];
};

/** A server running in a child process, driven over IPC. */
export class ServerProcess {
  readonly name: string;
  readonly port: number;
  readonly #child: ChildProcess;

  private constructor(name: string, port: number, child: ChildProcess) {
    this.name = name;
    this.port = port;
    this.#child = child;
  }

  /** Forks the server process and resolves once it listens. */
  static start(config: ServerConfig, options: ServerProcessOptions = {}): Promise<ServerProcess> {
    const name = serverName(config);
    const args = [JSON.stringify(config)];
    if (options.profileDirectory !== undefined) args.push(join(options.profileDirectory, `${name.replace(/[^\w.-]+/g, '-').replace(/-$/, '')}.cpuprofile`));
    const child = fork(new URL('./server-child.ts', import.meta.url), args, {
      execArgv: [...process.execArgv, ...(options.nodeOptions ?? [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`server ${name} exited with ${code} before listening`));
      child.once('exit', onExit);
      child.once('message', (message: ServerMessage) => {
        child.off('exit', onExit);
        if (message.type === 'ready') resolve(new ServerProcess(name, message.port, child));
        else reject(new Error(`server ${name} failed to start: ${message.type === 'failed' ? message.error : message.type}`));
      });
    });
  }

  /** Resets the server's counters and CPU clock. */
  start(): void {
    this.#send({ type: 'start' });
  }

  /** The server's counters and CPU time since {@link start}. */
  stop(): Promise<ServerStats> {
    return new Promise((resolve, reject) => {
      const onExit = (): void => reject(new Error(`server ${this.name} exited during a round`));
      this.#child.once('exit', onExit);
      this.#child.once('message', (message: ServerMessage) => {
        this.#child.off('exit', onExit);
        if (message.type === 'stats') resolve(message);
        else reject(new Error(`server ${this.name} answered ${message.type}`));
      });
      this.#send({ type: 'stop' });
    });
  }

  /** Asks the server to exit (writing its profile, if any) and waits for it. */
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
