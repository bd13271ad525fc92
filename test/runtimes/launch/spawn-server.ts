import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';

/** A server process listening on loopback. */
export type RunningServer = {
  origin: string;
  /** Everything the process wrote to stderr so far: shown when a test fails. */
  stderr: () => string;
  stop: () => Promise<void>;
};

export type SpawnServerOptions = {
  command: string;
  args: readonly string[];
  cwd: string;
  env?: Record<string, string>;
  /** Where the process reports `{"port":N}` (or workerd's `{"event":"listen","port":N}`) as a JSON line. */
  portFrom: 'stdout' | 'fd3';
  /** @default 60_000 */
  startTimeoutMs?: number;
};

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
}

/** Starts a server process and resolves once it reports the loopback port it listens on. */
export function spawnServer(options: SpawnServerOptions): Promise<RunningServer> {
  const child = spawn(options.command, [...options.args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const reports = (options.portFrom === 'fd3' ? child.stdio[3] : child.stdout) as Readable;
  if (options.portFrom === 'fd3') child.stdout!.resume();
  return new Promise((resolve, reject) => {
    let lines = '';
    const fail = (why: string): void => {
      void stopProcess(child);
      reject(new Error(`${options.command} ${options.args.join(' ')}: ${why}\n${stderr}`));
    };
    const timer = setTimeout(() => fail('did not report a port in time'), options.startTimeoutMs ?? 60_000);
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before it listened`));
    reports.setEncoding('utf8').on('data', function onData(chunk: string) {
      lines += chunk;
      const match = /"port":\s*(\d+)/.exec(lines);
      if (match === null) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      reports.off('data', onData).resume();
      resolve({ origin: `http://127.0.0.1:${match[1]}`, stderr: () => stderr, stop: () => stopProcess(child) });
    });
  });
}
