import type { EventMap, Receiver } from '@hookguard/core';
import { createInspector, nodeHandler } from '@hookguard/inspector';
import { webhookMiddleware } from '@hookguard/node';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener } from 'node:http';

const SESSION_COOKIE = 'hookguard_session';

/**
 * The example's request listener: the receiver at POST /webhooks, the inspector under /hookguard
 * for a bearer token or a session cookie, and a login form that trades the token for the cookie.
 */
export function createApp<Events extends EventMap>(receiver: Receiver<Events>, inspectorToken: string): RequestListener {
  const sessions = new Set<string>();
  const tokenMatches = (candidate: string): boolean => {
    const given = Buffer.from(candidate);
    const expected = Buffer.from(inspectorToken);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const inspector = nodeHandler(
    createInspector({
      receiver,
      authorize: (request) => {
        const header = request.headers.get('authorization');
        if (header?.startsWith('Bearer ') === true) return tokenMatches(header.slice('Bearer '.length));
        const session = /(?:^|;\s*)hookguard_session=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
        return session !== undefined && sessions.has(session);
      },
      onUnauthorized: () => loginPage(401, ''),
    }),
  );
  const webhooks = webhookMiddleware(receiver, { path: '/webhooks' });

  return (req, res) => {
    void webhooks(req, res, async () => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (req.method === 'POST' && path === '/hookguard/login') {
        const token = new URLSearchParams(await readBody(req)).get('token') ?? '';
        if (!tokenMatches(token)) return send(res, await loginPage(401, 'That token is not the inspector token.'));
        const session = randomBytes(24).toString('base64url');
        sessions.add(session);
        res.writeHead(303, { location: '/hookguard/', 'set-cookie': `${SESSION_COOKIE}=${session}; Path=/hookguard; HttpOnly; SameSite=Strict` });
        return res.end();
      }
      if (path === '/hookguard' || path.startsWith('/hookguard/')) return inspector(req, res);
      res.statusCode = 404;
      res.end();
    });
  };
}

function loginPage(status: number, message: string): Response {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>hookguard inspector: sign in</title>
<style>body{font:15px system-ui,sans-serif;display:grid;place-items:center;min-height:90vh}form{display:grid;gap:8px;width:320px}
input,button{font:inherit;padding:6px}p{color:#cf222e}</style></head><body>
<form method="post" action="/hookguard/login"><h1>hookguard inspector</h1>${message === '' ? '' : `<p>${message}</p>`}
<label>Inspector token <input name="token" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form></body></html>`;
  return new Response(body, {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'", 'cache-control': 'no-store' },
  });
}

async function send(res: Parameters<RequestListener>[1], response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  res.writeHead(response.status, headers);
  res.end(await response.text());
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 4096) break;
  }
  return body;
}
