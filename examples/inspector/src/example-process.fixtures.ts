import { spawn, type ChildProcess } from 'node:child_process';
import { Webhook } from 'standardwebhooks';

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
export const TOKEN = 'example-inspector-token-7f3a9c';

/** An example started with `npm start` in its folder, as its README says, on a free port. */
export type StartedExample = { origin: string; output: () => string; stop: () => Promise<void> };

/** Runs `npm start` in `directory` and resolves once it logs the URL it listens on. */
export function startExample(directory: string, env: Record<string, string>): Promise<StartedExample> {
  // Its own process group, so stopping it also stops what npm started (tsx, then node).
  const child: ChildProcess = spawn('npm', ['start', '--silent'], { cwd: directory, env: { ...process.env, ...env, PORT: '0' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      process.kill(-child.pid!, 'SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const url = /listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (url !== null) resolve({ origin: url[1]!, output: () => output, stop });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code} before listening:\n${output}`)));
  });
}

/** A `message.received` delivery signed by the Standard Webhooks SDK, as the provider sends it. */
export function delivery(id: string, data: Record<string, unknown>): { method: 'POST'; headers: Record<string, string>; body: string } {
  const body = JSON.stringify({ type: 'message.received', timestamp: new Date().toISOString(), data });
  const now = new Date();
  return {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': new Webhook(SECRET).sign(id, now, body) },
  };
}
