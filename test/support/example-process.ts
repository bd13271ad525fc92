// An example as its README runs it: `npm start` in its folder, on a free port.
import { spawn, type ChildProcess } from 'node:child_process';

/** An example started with `npm start` in its folder, on a free port. */
export type StartedExample = { origin: string; output: () => string; stop: () => Promise<void> };

/** How to tell that an example listens, and how long to wait for it. */
export type StartExampleOptions = {
  /**
   * Matches the line the example logs once it listens; its first group is the origin.
   * @default /listening on (http:\/\/[\d.]+:\d+)/
   */
  listening?: RegExp;
  /**
   * How long `npm start` may take before the start fails (a build included).
   * @default 60_000
   */
  startTimeoutMs?: number;
};

/**
 * Runs `npm start` in `directory` with `PORT=0` and `env`, and resolves once the example logs the
 * URL it listens on.
 *
 * @example
 * const example = await startExample(fileURLToPath(new URL('..', import.meta.url)), { WEBHOOK_SECRET: SECRET });
 * await fetch(`${example.origin}/webhooks`, delivery('msg_1'));
 * await example.stop();
 */
export function startExample(directory: string, env: Record<string, string>, options: StartExampleOptions = {}): Promise<StartedExample> {
  const listening = options.listening ?? /listening on (http:\/\/[\d.]+:\d+)/;
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  // Its own process group, so stopping it also stops what npm started (builds, tsx, node, workerd, next start).
  const child: ChildProcess = spawn('npm', ['start', '--silent'], { cwd: directory, env: { ...process.env, PORT: '0', ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      process.kill(-child.pid!, 'SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`npm start did not listen within ${startTimeoutMs} ms:\n${output}`));
    }, startTimeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const url = listening.exec(output);
      if (url === null) return;
      clearTimeout(timer);
      resolve({ origin: url[1]!, output: () => output, stop });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code} before listening:\n${output}`));
    });
  });
}
