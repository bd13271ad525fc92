import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request as Express or Connect hand it over: `originalUrl` keeps the mount path they strip from `url`. */
type NodeRequest = IncomingMessage & { originalUrl?: string };

/**
 * Serves a Web-standard handler (the inspector) from `node:http`, Express, Connect or any framework
 * that hands over Node's `(req, res)`: the few lines of bridging every Node host of a
 * `(Request) => Response` runs.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createInspector, nodeHandler } from '@hookguard/inspector';
 *
 * const app = express();
 * app.use('/hookguard', nodeHandler(createInspector({ receiver, authorize })));
 * ```
 */
export function nodeHandler(handler: (request: Request) => Promise<Response>): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async function handleNode(req: NodeRequest, res: ServerResponse): Promise<void> {
    try {
      const response = await handler(await toRequest(req));
      // setHeader, not writeHead(status, pairs): Express has set headers of its own by now.
      response.headers.forEach((value, name) => {
        if (name !== 'set-cookie') res.setHeader(name, value);
      });
      const cookies = response.headers.getSetCookie();
      if (cookies.length > 0) res.setHeader('set-cookie', cookies);
      res.writeHead(response.status);
      res.end(req.method === 'HEAD' ? undefined : new Uint8Array(await response.arrayBuffer()));
    } catch (error) {
      console.error('[hookguard] the inspector could not answer', error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('The inspector failed.');
    }
  };
}

const MAX_FORM_BYTES = 1024 * 1024;

async function toRequest(req: NodeRequest): Promise<Request> {
  const headers = new Headers();
  for (let index = 0; index < req.rawHeaders.length; index += 2) headers.append(req.rawHeaders[index]!, req.rawHeaders[index + 1]!);
  const method = req.method ?? 'GET';
  let body: Uint8Array<ArrayBuffer> | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > MAX_FORM_BYTES) throw new Error('form too large');
      chunks.push(chunk);
    }
    body = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.byteLength;
    }
  }
  const protocol = (req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http';
  return new Request(`${protocol}://${req.headers.host ?? 'localhost'}${req.originalUrl ?? req.url ?? '/'}`, { method, headers, ...(body === undefined ? {} : { body }) });
}
