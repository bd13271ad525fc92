/**
 * The Hono app that runs inside each runtime under test (workerd, Bun, Deno). It imports only the
 * core, the Hono adapter, the Web handler and Hono, as a user's app does. The test process drives it over HTTP:
 *
 * - `PUT /runs/:run` with a {@link RunSetup} creates a receiver scripted as a conformance case says;
 * - `POST /runs/:run/webhooks` is `webhookHandler(receiver)` of that run (`@hookguard/hono`), and
 *   `POST /runs/:run/web/webhooks` is `@hookguard/web`'s handler given the runtime's own `Request`;
 * - `GET /runs/:run/handled` answers the `data` of every payload its handler received;
 * - `GET /runs/:run/entered` answers once a held handler has started; `POST /runs/:run/release`
 *   lets it finish;
 * - `POST /module-scope/webhooks` is a receiver created when the module loaded, as a Worker's top
 *   level creates it (workerd refuses some operations there, and its clock reads 0 there);
 *   `GET /module-scope/handled` and `GET /module-scope/log` answer what it handled and logged.
 */
import { createReceiver, standardWebhooks } from '@hookguard/core';
import { webhookHandler } from '@hookguard/hono';
import { webhookHandler as webRequestHandler } from '@hookguard/web';
import { Hono, type Context } from 'hono';
import { caseReceiver } from '../../conformance/case-receiver.js';
import type { ConformanceCase } from '../../conformance/cases.js';

/** What `PUT /runs/:run` takes: the secret and the parts of a conformance case that script the receiver. */
export type RunSetup = Pick<ConformanceCase, 'receiver' | 'handler'> & { secret: string };

type Run = {
  handle: (c: Context) => Promise<Response>;
  handleWeb: (request: Request) => Promise<Response>;
  handled: unknown[];
  entered: () => Promise<void>;
  release: () => void;
};

/**
 * Resolves once `done()` holds, checking every few milliseconds. A timer, not a promise resolved by
 * another request: workerd cancels a request that waits only on another request's work.
 */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
}

function scriptedRun(setup: RunSetup): Run {
  const receiver = caseReceiver(setup.receiver, setup.secret);
  const handled: unknown[] = [];
  let entered = false;
  let released = false;
  receiver.on('message.received', async (event) => {
    handled.push((event.payload as { data?: unknown }).data);
    if (handled.length > 1) return;
    if (setup.handler === 'throws-first') throw new Error('the mail API is down');
    if (setup.handler === 'holds-first') {
      entered = true;
      await until(() => released);
    }
  });
  return {
    handle: webhookHandler(receiver),
    handleWeb: webRequestHandler(receiver),
    handled,
    entered: () => until(() => entered),
    release: () => void (released = true),
  };
}

/** The app, with a receiver created now (at module scope when called there). */
export function createScriptedApp(secret: string): Hono {
  const runs = new Map<string, Run>();
  const moduleScopeLog: string[] = [];
  const logger = {
    warn: (fields: Record<string, unknown>, message: string) => void moduleScopeLog.push(`warn ${String(fields['code'] ?? '')} ${message}`),
    error: (fields: Record<string, unknown>, message: string) => void moduleScopeLog.push(`error ${String(fields['code'] ?? '')} ${message}`),
  };
  const moduleScope = createReceiver({ verifier: standardWebhooks({ secret }), logger });
  const moduleScopeHandled: unknown[] = [];
  moduleScope.on('message.received', (event) => {
    moduleScopeHandled.push((event.payload as { data?: unknown }).data);
  });

  const app = new Hono();
  const run = (c: Context): Run => {
    const found = runs.get(c.req.param('run') ?? '');
    if (found === undefined) throw new Error(`no run ${c.req.param('run')}: PUT /runs/:run first`);
    return found;
  };
  app.put('/runs/:run', async (c) => {
    runs.set(c.req.param('run'), scriptedRun(await c.req.json<RunSetup>()));
    return c.body(null, 204);
  });
  app.post('/runs/:run/webhooks', (c) => run(c).handle(c));
  app.post('/runs/:run/web/webhooks', (c) => run(c).handleWeb(c.req.raw));
  app.get('/runs/:run/handled', (c) => c.json(run(c).handled));
  app.get('/runs/:run/entered', async (c) => {
    await run(c).entered();
    return c.body(null, 204);
  });
  app.post('/runs/:run/release', (c) => {
    run(c).release();
    return c.body(null, 204);
  });
  app.delete('/runs/:run', (c) => {
    run(c).release();
    runs.delete(c.req.param('run'));
    return c.body(null, 204);
  });
  app.post('/module-scope/webhooks', webhookHandler(moduleScope));
  app.get('/module-scope/handled', (c) => c.json(moduleScopeHandled));
  app.get('/module-scope/log', (c) => c.json(moduleScopeLog));
  app.onError((error, c) => c.text(String(error), 500));
  return app;
}
