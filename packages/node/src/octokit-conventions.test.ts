import { createReceiver, github, silentLogger } from '@hookguard/core';
import { createNodeMiddleware, Webhooks } from '@octokit/webhooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { onServer } from './deliveries.fixtures.js';
import { webhookMiddleware } from './webhook-middleware.js';

const SECRET = 'It’s a Secret to Everybody';

type Middleware = (req: IncomingMessage, res: ServerResponse, next?: () => void) => Promise<boolean>;

/** `middleware` in a server whose requests it does not take end in `the rest of the app`. */
const withRestOfApp =
  (middleware: Middleware) =>
  (req: IncomingMessage, res: ServerResponse): void => {
    void middleware(req, res, () => res.end('the rest of the app'));
  };

describe('webhookMiddleware beside @octokit/webhooks createNodeMiddleware', () => {
  it('accepts the same GitHub deliveries, signed by octokit, and routes other paths the same way', async () => {
    const webhooks = new Webhooks({ secret: SECRET });
    const octokitSeen: string[] = [];
    webhooks.on('issues.opened', ({ id }) => void octokitSeen.push(id));
    const receiver = createReceiver({ verifier: github({ secret: SECRET }), logger: silentLogger });
    const hookguardSeen: string[] = [];
    receiver.on('issues.opened', (event) => void hookguardSeen.push(event.id));
    const payload = JSON.stringify({ action: 'opened', issue: { number: 1 }, repository: { full_name: 'octo/repo' } });
    const headers = {
      'content-type': 'application/json',
      'x-github-event': 'issues',
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'x-hub-signature-256': await webhooks.sign(payload),
    };
    const path = '/api/github/webhooks';
    const answers: Record<string, string[]> = {};
    const reachedBy = async (response: Response): Promise<string> => `${response.status} ${(await response.text()) === 'the rest of the app' ? 'app' : 'webhooks'}`;
    for (const [name, middleware] of [
      ['octokit', createNodeMiddleware(webhooks, { path }) as Middleware],
      ['hookguard', webhookMiddleware(receiver, { path })],
    ] as const) {
      await onServer(withRestOfApp(middleware), async (origin) => {
        answers[name] = [
          await reachedBy(await fetch(`${origin}${path}`, { method: 'POST', headers, body: payload })),
          await reachedBy(await fetch(`${origin}${path}/`, { method: 'POST', headers, body: payload })),
          await reachedBy(await fetch(`${origin}/api/other`, { method: 'POST', headers, body: payload })),
        ];
      });
    }
    const same = ['200 webhooks', '200 webhooks', '200 app'];
    expect(answers).toEqual({ octokit: same, hookguard: same });
    expect(octokitSeen).toHaveLength(2);
    // octokit runs a redelivery again; hookguard answers it as a duplicate.
    expect(hookguardSeen).toEqual(['72d3162e-cc78-11e3-81ab-4c9367dc0958']);
  });
});
