import { Agent, request } from 'node:http';

/** An HTTP answer, read whole. */
export type HttpAnswer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

/**
 * POSTs `body` over node:http and reads the whole answer. node:http rather than `fetch`, whose
 * per-request overhead under a burst of concurrent deliveries is large against the demo's
 * scaled-down timeouts. Rejects with the signal's reason when `signal` aborts.
 */
export function post(url: string, options: { agent: Agent; headers: Record<string, string>; body: string; signal: AbortSignal }): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: options.agent, headers: { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) }, signal: options.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error) => reject(options.signal.aborted ? options.signal.reason : error));
    });
    req.on('error', (error) => reject(options.signal.aborted ? options.signal.reason : error));
    req.end(options.body);
  });
}

/** A keep-alive agent, as senders use, so a burst of deliveries reuses connections. */
export function keepAliveAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 64 });
}
