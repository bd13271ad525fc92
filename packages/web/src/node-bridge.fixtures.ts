import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

/**
 * A node:http server that turns each request into a Web `Request` and writes the `Response` back:
 * the few lines any Node host of a `(Request) => Response` function (Next.js, Remix, SvelteKit's
 * adapter-node) runs. Header lines keep their order and repeats.
 */
export async function serveWeb(handler: (request: Request) => Promise<Response>): Promise<{ origin: string; close: () => Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const response = await handler(toRequest(req));
    const headers: [string, string][] = [];
    response.headers.forEach((value, name) => headers.push([name, value]));
    res.writeHead(response.status, headers);
    res.end(new Uint8Array(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}

function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (let index = 0; index < req.rawHeaders.length; index += 2) headers.append(req.rawHeaders[index]!, req.rawHeaders[index + 1]!);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const init = { method: req.method ?? 'GET', headers, body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : null, duplex: 'half' };
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, init);
}
