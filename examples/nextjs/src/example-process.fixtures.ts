import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
export const OTHER_SECRET = 'whsec_bm90IHRoZSBlbmRwb2ludCdzIHNlY3JldCBhdCBhbGw=';

/** An example started with `npm start` in its folder, as its README says, on a free port. */
export type StartedExample = { origin: string; output: () => string; stop: () => Promise<void> };

/** Runs `npm start` in `directory` and resolves once it logs the URL it listens on (Next: `- Local: http://…`). */
export function startExample(directory: string, env: Record<string, string>, startTimeoutMs = 300_000): Promise<StartedExample> {
  // Its own process group, so stopping it also stops what npm started (the builds, then next start).
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
      const url = /Local:\s+(http:\/\/[\d.]+:\d+)/.exec(output);
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

/** A stand-in mail API on loopback that fails its first `failures` calls with 503. */
export async function startMailApi(failures: number): Promise<{ url: string; calls: unknown[]; close: () => Promise<void> }> {
  const calls: unknown[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      calls.push(JSON.parse(body));
      res.statusCode = calls.length <= failures ? 503 : 202;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/replies`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A `message.received` delivery signed by the Standard Webhooks SDK, as the provider sends it. */
export function delivery(id: string, secret = SECRET): { method: 'POST'; headers: Record<string, string>; body: string } {
  const body = JSON.stringify({ type: 'message.received', data: { messageId: `m_${id}`, from: 'ada@example.com', subject: 'Invoice' } });
  return {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, new Date(), body),
    },
  };
}
