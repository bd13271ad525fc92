// A sender's side of a delivery: signed by the Standard Webhooks SDK at send time (as a provider
// signs each attempt), POSTed over node:http, and never left hanging: every attempt ends with an
// answer, a connection error or a timeout, each timed.
import { Agent, request } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { EVENT_TYPE, SECRET } from './app-config.js';

const sdk = new Webhook(SECRET);

/** The JSON body of test event `id`. */
export function eventBody(id: string, data: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: EVENT_TYPE, data: { id, ...data } });
}

/** Standard Webhooks headers for `body`, signed now. */
export function signedHeaders(id: string, body: string): Record<string, string> {
  const timestamp = new Date();
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': sdk.sign(id, timestamp, body),
  };
}

/** How one attempt ended. */
export type Attempt =
  | { kind: 'answer'; status: number; retryAfter: string | undefined; body: string; elapsedMs: number }
  | { kind: 'connection-error'; error: string; elapsedMs: number }
  | { kind: 'timeout'; elapsedMs: number };

export type PostOptions = {
  /** Give up (and report `timeout`) after this long. */
  timeoutMs: number;
  /** A keep-alive agent; by default each attempt opens its own connection. */
  agent?: Agent;
};

/** POSTs a freshly signed delivery of event `id` to `url`. */
export function deliver(url: string, id: string, body: string, options: PostOptions): Promise<Attempt> {
  const headers = { ...signedHeaders(id, body), 'content-length': String(Buffer.byteLength(body)) };
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (attempt: Attempt): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(attempt);
    };
    const req = request(url, { method: 'POST', headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const retryAfter = res.headers['retry-after'];
        settle({ kind: 'answer', status: res.statusCode ?? 0, retryAfter, body: Buffer.concat(chunks).toString('utf8'), elapsedMs: elapsed() });
      });
      res.on('error', (error) => settle({ kind: 'connection-error', error: error.message, elapsedMs: elapsed() }));
    });
    const timer = setTimeout(() => {
      settle({ kind: 'timeout', elapsedMs: elapsed() });
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (error) => settle({ kind: 'connection-error', error: `${(error as NodeJS.ErrnoException).code ?? ''} ${error.message}`.trim(), elapsedMs: elapsed() }));
    req.end(body);
  });
}

export const isSuccess = (attempt: Attempt): boolean => attempt.kind === 'answer' && attempt.status >= 200 && attempt.status < 300;

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
