import { randomBytes } from 'node:crypto';
import { createServer, type Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { post } from './http-post.js';

/** A reply the mail API accepted and sent. */
export type SentReply = { replyId: string; messageId: string; text: string };

/** Per-message behaviour of the reply endpoint, decided by the demo's fault plan. */
export type ReplyFaults = {
  /** Answer 503 to the first reply to this message, recording nothing. */
  errorFirst: (messageId: string) => boolean;
  /** Take this long before answering (0 for most messages). */
  delayMs: (messageId: string) => number;
};

/**
 * The simulated mail provider's HTTP API, on 127.0.0.1 and a free port. One endpoint matters:
 * `POST /v1/messages/:id/replies` with `{ "text": … }` sends a reply and answers
 * `201 { "id": "rpl_…" }`. Every reply it sends is recorded, which is how the demo sees a
 * reply sent twice.
 */
export class MailApi {
  readonly apiKey = `key_${randomBytes(12).toString('hex')}`;
  readonly replies: SentReply[] = [];
  readonly #faults: ReplyFaults;
  readonly #erroredOnce = new Set<string>();
  readonly #server: Server;
  #url = '';

  constructor(faults: ReplyFaults) {
    this.#faults = faults;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  }

  /** The base URL, e.g. `http://127.0.0.1:41234`, once started. */
  get url(): string {
    return this.#url;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => resolve());
    });
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Replies sent per message id. */
  repliesPerMessage(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const reply of this.replies) counts.set(reply.messageId, (counts.get(reply.messageId) ?? 0) + 1);
    return counts;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/v1\/messages\/([\w-]+)\/replies$/.exec(req.url ?? '');
    if (req.method !== 'POST' || match?.[1] === undefined) return json(res, 404, { error: 'not_found' });
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) return json(res, 401, { error: 'unauthorized' });
    const messageId = match[1];
    let text: unknown;
    try {
      text = (JSON.parse(await readText(req)) as { text?: unknown }).text;
    } catch {
      return json(res, 400, { error: 'invalid_json' });
    }
    if (typeof text !== 'string' || text === '') return json(res, 422, { error: 'text_required' });
    if (this.#faults.errorFirst(messageId) && !this.#erroredOnce.has(messageId)) {
      this.#erroredOnce.add(messageId);
      res.setHeader('retry-after', '1');
      return json(res, 503, { error: 'temporarily_unavailable' });
    }
    const delayMs = this.#faults.delayMs(messageId);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const reply: SentReply = { replyId: `rpl_${String(this.replies.length + 1).padStart(4, '0')}`, messageId, text };
    this.replies.push(reply);
    return json(res, 201, { id: reply.replyId, messageId });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The receiver's side of the reply API: one call sends one reply.
 *
 * @example
 * ```ts
 * const { id } = await sendReply(api, agent, 'msg_0001', 'Thanks, we are on it.', ctx.signal);
 * ```
 */
export async function sendReply(
  api: { url: string; apiKey: string },
  agent: Agent,
  messageId: string,
  text: string,
  signal: AbortSignal,
): Promise<{ id: string }> {
  const answer = await post(`${api.url}/v1/messages/${encodeURIComponent(messageId)}/replies`, {
    agent,
    headers: { authorization: `Bearer ${api.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
    signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]),
  });
  const body = JSON.parse(answer.body) as { id?: string; error?: string };
  if (answer.status !== 201 || body.id === undefined) {
    throw new Error(`the mail API answered ${answer.status} ${body.error ?? ''} to a reply to ${messageId}`);
  }
  return { id: body.id };
}
