import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';

export type RunningWorkerd = { origin: string; stop: () => Promise<void> };

/** Runs `workerd <args>` in `cwd` on a free loopback port; resolves once it listens. */
export function spawnWorkerd(cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<RunningWorkerd> {
  const binary = join(dirname(createRequire(import.meta.url).resolve('@cloudflare/workerd-linux-64/package.json')), 'bin', 'workerd');
  const child = spawn(binary, [...args, '--socket-addr=http=127.0.0.1:0', '--control-fd=3'], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`workerd exited with ${code} before listening:\n${output}`));
    child.once('exit', onExit);
    (child.stdio[3] as Readable).setEncoding('utf8').on('data', (line: string) => {
      const port = /"port":(\d+)/.exec(line)?.[1];
      if (port === undefined) return;
      child.off('exit', onExit);
      resolve({ origin: `http://127.0.0.1:${port}`, stop });
    });
  });
}
