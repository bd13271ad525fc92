// The mail API the examples reply through, stood in for on loopback.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running stand-in mail API: its URL and the JSON bodies it received, in order. */
export type MailApi = { url: string; calls: unknown[]; close: () => Promise<void> };

/**
 * A stand-in mail API on loopback that fails its first `failures` calls with 503 and accepts the
 * rest with 202.
 *
 * @example
 * const mailApi = await startMailApi(1);
 * await startExample(directory, { WEBHOOK_SECRET: SECRET, MAIL_API_URL: mailApi.url });
 */
export async function startMailApi(failures: number): Promise<MailApi> {
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
