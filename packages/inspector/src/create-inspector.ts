import {
  WebhookError,
  answeredWithin,
  describeError,
  redactMessage,
  refuseUnknownOptions,
  type OptionNames,
  redactSecrets,
  type DeliveryLogOutcome,
  type DeliveryLogQuery,
  type Logger,
  type Redactor,
  type ResolvedReceiverOptions,
  DELIVERY_LOG_OUTCOMES,
} from '@hookguard/core';
import { CsrfTokens, readCookie } from './csrf.js';
import { deadLettersMain } from './pages/dead-letters-page.js';
import { deliveriesLive, deliveriesMain } from './pages/deliveries-page.js';
import { deliveryMain, type DeliveryView } from './pages/delivery-page.js';
import { layout, type PageFrame } from './pages/layout.js';
import type { SafeHtml } from './safe-html.js';

/** What the inspector needs of a receiver: its settings (log, queue, namespace, clock) and `replay`. */
export type InspectedReceiver = {
  readonly options: Readonly<Pick<ResolvedReceiverOptions, 'namespace' | 'queue' | 'deliveryLog' | 'now' | 'logger'>>;
  replay(idOrKey: string): Promise<boolean>;
};

/** Options for {@link createInspector}. */
export type InspectorOptions = {
  /** The receiver to inspect: its delivery log, its queue's dead letters, its `replay`. */
  receiver: InspectedReceiver;
  /**
   * Decides whether a request may see the inspector: `true` lets it through, anything else answers
   * 401 with no data. Required: there is no unauthenticated mode. Runs for every request, replays
   * included; a throw counts as a refusal.
   */
  authorize: (request: Request) => boolean | Promise<boolean>;
  /**
   * Hides the replay buttons and refuses replay requests (403).
   * @default false
   */
  readOnly?: boolean;
  /**
   * Makes a payload fit to show, before it is rendered.
   * @default redactSecrets (masks values of keys that look like secrets, tokens, passwords, emails, and email addresses)
   */
  redact?: Redactor;
  /**
   * The path the inspector is mounted on (`'/hookguard'`). By default it is worked out from each
   * request's path, which works wherever the whole URL reaches the handler.
   * @default derived from the request
   */
  basePath?: string;
  /**
   * Deliveries per page.
   * @default 50
   */
  pageSize?: number;
  /**
   * How often the first page of deliveries refreshes itself, in milliseconds; 0 turns it off.
   * @default 2000
   */
  refreshMs?: number;
  /**
   * The longest a page waits for the delivery log and the queue, in milliseconds; past it the page
   * answers 503, so an unreachable or frozen Redis or PostgreSQL never holds the inspector (and the
   * requests it serves) open. A replay waits at most this long for each event it replays (and for
   * the list of dead letters); past it, it answers 503 saying how many were replayed.
   * @default 10000
   */
  readTimeoutMs?: number;
  /**
   * Key of the CSRF tokens' HMAC. Set the same one in every process behind a load balancer; by
   * default each inspector draws its own, so a page served by one process cannot replay through another.
   * @default 32 random bytes
   */
  csrfSecret?: string | Uint8Array;
  /**
   * Builds the answer to a refused request (a login form, a redirect). It must not show data.
   * @default a plain 401
   */
  onUnauthorized?: (request: Request) => Response | Promise<Response>;
};

/** The inspector: a Web-standard `(request) => Response` to mount on a path of your app. */
export type Inspector = (request: Request) => Promise<Response>;

const CSRF_COOKIE = 'hookguard_csrf';
const SUBROUTE = /\/(deliveries\/[^/]+|dead-letters|replay)\/?$/;

/**
 * Creates the inspector page: recent deliveries (filterable, counts of the last hour, live),
 * a delivery's detail with its redacted payload, and the dead letters of queued mode with replay
 * buttons. A Web-standard handler: mount it on a path of any framework (docs/inspector.md).
 *
 * @example
 * ```ts
 * import { createInspector } from '@hookguard/inspector';
 *
 * const inspector = createInspector({
 *   receiver,
 *   authorize: (request) => request.headers.get('authorization') === `Bearer ${process.env.INSPECTOR_TOKEN}`,
 * });
 * // Next.js: app/hookguard/[[...path]]/route.ts
 * export const GET = inspector;
 * export const POST = inspector;
 * ```
 */
export function createInspector(options: InspectorOptions): Inspector {
  const settings = resolveInspectorOptions(options);
  const { receiver } = settings;
  const csrf = new CsrfTokens(options.csrfSecret);
  const logger: Logger = receiver.options.logger;

  return async function inspector(request: Request): Promise<Response> {
    let allowed = false;
    try {
      allowed = (await settings.authorize(request)) === true;
    } catch (error) {
      logger.warn({ error: describeError(error) }, 'the inspector authorize() threw; answering 401');
    }
    if (!allowed) return settings.onUnauthorized(request);
    try {
      if (request.method === 'POST') return await route(request);
      const answered = await withinReadTimeout(route(request), request);
      return (
        answered?.value ??
        text(503, `The delivery log or the queue did not answer within ${settings.readTimeoutMs} ms. Check Redis or PostgreSQL, then reload.`, { 'retry-after': '5' })
      );
    } catch (error) {
      logger.error({ code: 'ERR_HOOKGUARD_INTERNAL', error: describeError(error) }, 'the inspector failed to answer');
      return text(500, 'The inspector failed; see the logs.');
    }
  };

  /**
   * `work`'s answer, or `undefined` (and a warning) once `readTimeoutMs` passed without one: a
   * frozen Redis or PostgreSQL leaves the delivery log's or the queue's calls waiting indefinitely.
   */
  async function withinReadTimeout<T>(work: Promise<T>, request: Request): Promise<{ value: T } | undefined> {
    const answered = await answeredWithin(work, settings.readTimeoutMs);
    if (answered === undefined) {
      logger.warn(
        { code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', path: new URL(request.url).pathname },
        `the inspector waited ${settings.readTimeoutMs} ms for the delivery log or the queue; answering 503`,
      );
    }
    return answered;
  }

  async function route(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname;
    const base = settings.basePath ?? path.replace(SUBROUTE, '').replace(/\/+$/, '');
    const rest = path.slice(base.length).replace(/\/+$/, '');
    if (request.method === 'POST' && rest === '/replay') return replay(request, base);
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'Method not allowed.', { allow: 'GET, HEAD, POST' });
    const fragment = request.headers.get('x-hookguard-fragment') === 'live';
    if (rest === '') return deliveries(url, base, fragment);
    if (rest === '/dead-letters') return deadLetters(request, url, base);
    if (rest.startsWith('/deliveries/')) return delivery(request, decodeURIComponent(rest.slice('/deliveries/'.length)), base);
    return text(404, 'Not found.');
  }

  async function deliveries(url: URL, base: string, fragment: boolean): Promise<Response> {
    const log = receiver.options.deliveryLog;
    const query = listQuery(url, settings.pageSize, receiver.options.namespace);
    const now = receiver.options.now();
    const [page, counts] =
      log === undefined
        ? [{ records: [], next: undefined }, {}]
        : await Promise.all([log.list(query), log.counts(now - 3_600_000, { namespace: receiver.options.namespace })]);
    const view = { base, query, page, counts, logged: log !== undefined };
    if (fragment) return htmlResponse(deliveriesLive(view).value, undefined);
    const live = query.before === undefined && log !== undefined ? settings.refreshMs : 0;
    return page_(deliveriesMain(view, live), { title: 'Deliveries', base, active: 'deliveries' });
  }

  async function delivery(request: Request, seq: string, base: string): Promise<Response> {
    const log = receiver.options.deliveryLog;
    const record = log === undefined ? undefined : await log.get(seq);
    if (record === undefined || record.namespace !== receiver.options.namespace) return text(404, 'No such delivery in the log (it may have been pruned).');
    const { queue } = receiver.options;
    const stored = queue === undefined || record.key === null ? undefined : await queue.find(record.key);
    let payload: DeliveryView['payload'];
    if (record.payload !== undefined) payload = { json: showPayload(record.payload), from: 'log' };
    else if (stored !== undefined) payload = { json: showPayload(stored.event.payload), from: 'queue' };
    else payload = { missing: 'No payload kept: the delivery log keeps payloads only with payloads: true, and the queue keeps only queued events.' };
    const token = settings.readOnly ? undefined : await csrf.issue();
    const main = deliveryMain({
      base,
      record,
      payload,
      job: stored === undefined ? undefined : { state: stored.state, attempts: stored.attempts, lastError: maskedError(stored.lastError) },
      readOnly: settings.readOnly,
      csrf: token,
    });
    return page_(main, { title: `Delivery ${record.id ?? record.seq}`, base, active: 'deliveries' }, token, request);
  }

  async function deadLetters(request: Request, url: URL, base: string): Promise<Response> {
    const { queue } = receiver.options;
    const jobs = (queue === undefined ? undefined : await queue.deadLetters({ limit: 500 }))?.map((job) => ({ ...job, lastError: maskedError(job.lastError) }));
    const token = settings.readOnly ? undefined : await csrf.issue();
    const count = url.searchParams.get('replayed');
    const replayed = count === null ? undefined : { count: Number(count) || 0, missed: Number(url.searchParams.get('missed')) || 0 };
    const main = deadLettersMain({ base, jobs, readOnly: settings.readOnly, csrf: token, replayed });
    return page_(main, { title: 'Dead letters', base, active: 'dead-letters' }, token, request);
  }

  async function replay(request: Request, base: string): Promise<Response> {
    if (settings.readOnly) return text(403, 'This inspector is read-only: replay is off.');
    const origin = request.headers.get('origin');
    // Defence in depth besides the token; the host only, since a TLS-terminating proxy changes the scheme.
    if (origin !== null && origin !== 'null' && URL.canParse(origin) && new URL(origin).host !== new URL(request.url).host) return text(403, 'Cross-origin replay refused.');
    let form: FormData;
    try {
      form = await request.formData();
    } catch {
      return text(400, 'Replay takes a form (application/x-www-form-urlencoded).');
    }
    const submitted = form.get('csrf');
    if (!(await csrf.verify(typeof submitted === 'string' ? submitted : undefined, readCookie(request, CSRF_COOKIE)))) {
      return text(403, 'Missing or invalid CSRF token: reload the page and try again.');
    }
    const { queue } = receiver.options;
    if (queue === undefined) return text(409, 'Replay needs queued mode: inline mode keeps no events.');
    const unanswered = (count: number): Response =>
      text(
        503,
        `The queue did not answer within ${settings.readTimeoutMs} ms: ${count} of the events were replayed, the rest were not (or are still being). Check Redis or PostgreSQL, then replay what the dead letters still list.`,
        { 'retry-after': '5' },
      );
    let keys: string[];
    const one = form.get('one');
    if (typeof one === 'string' && one !== '') keys = [one];
    else if (form.get('all') === '1') {
      const dead = await withinReadTimeout(queue.deadLetters({ limit: 10_000 }), request);
      if (dead === undefined) return unanswered(0);
      keys = dead.value.map((job) => job.event.key);
    } else keys = form.getAll('key').filter((key): key is string => typeof key === 'string' && key !== '');
    let count = 0;
    for (const key of keys.slice(0, 10_000)) {
      const replayed = await withinReadTimeout(receiver.replay(key), request);
      if (replayed === undefined) return unanswered(count);
      if (replayed.value) count++;
    }
    logger.info?.({ replayed: count, asked: keys.length }, 'inspector replay');
    return new Response(null, { status: 303, headers: { location: `${base}/dead-letters?replayed=${count}&missed=${keys.length - count}`, 'cache-control': 'no-store' } });
  }

  function showPayload(payload: unknown): string {
    let shown: unknown;
    try {
      shown = settings.redact(payload);
    } catch (error) {
      return `[the redact function threw: ${describeError(error)}]`;
    }
    return JSON.stringify(shown, null, 2) ?? String(shown);
  }

  function page_(main: SafeHtml, frame: Omit<PageFrame, 'nonce' | 'namespace'>, token?: string, request?: Request): Response {
    const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    const body = layout({ ...frame, nonce, namespace: receiver.options.namespace }, main);
    const response = htmlResponse(body, nonce);
    if (token !== undefined && request !== undefined) {
      const secure = new URL(request.url).protocol === 'https:' ? '; Secure' : '';
      response.headers.append('set-cookie', `${CSRF_COOKIE}=${token}; Path=${frame.base === '' ? '/' : frame.base}; HttpOnly; SameSite=Strict${secure}`);
    }
    return response;
  }
}

function listQuery(url: URL, pageSize: number, namespace: string): DeliveryLogQuery {
  const query: DeliveryLogQuery = { limit: pageSize, namespace };
  const outcome = url.searchParams.get('outcome');
  if (outcome !== null && (DELIVERY_LOG_OUTCOMES as readonly string[]).includes(outcome)) query.outcome = outcome as DeliveryLogOutcome;
  const type = url.searchParams.get('type');
  if (type !== null && type !== '') query.type = type.slice(0, 200);
  const id = url.searchParams.get('id');
  if (id !== null && id !== '') query.id = id.slice(0, 500);
  const before = url.searchParams.get('before');
  if (before !== null && before !== '') query.before = before.slice(0, 100);
  return query;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

function htmlResponse(body: string, nonce: string | undefined): Response {
  const csp =
    nonce === undefined
      ? "default-src 'none'; frame-ancestors 'none'"
      : `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;
  return new Response(body, { status: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp, ...SECURITY_HEADERS } });
}

function text(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(message, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS, ...headers } });
}

type ResolvedInspectorOptions = {
  receiver: InspectedReceiver;
  authorize: (request: Request) => boolean | Promise<boolean>;
  readOnly: boolean;
  redact: Redactor;
  basePath: string | undefined;
  pageSize: number;
  refreshMs: number;
  readTimeoutMs: number;
  onUnauthorized: (request: Request) => Response | Promise<Response>;
};

const INSPECTOR_OPTIONS: OptionNames<InspectorOptions> = {
  receiver: true,
  authorize: true,
  readOnly: true,
  redact: true,
  basePath: true,
  pageSize: true,
  refreshMs: true,
  readTimeoutMs: true,
  csrfSecret: true,
  onUnauthorized: true,
};

function resolveInspectorOptions(options: InspectorOptions): ResolvedInspectorOptions {
  const invalid = (message: string): WebhookError => new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', `createInspector(): ${message}`);
  if (typeof options !== 'object' || options === null) throw invalid(`needs an options object with receiver and authorize; received ${String(options)}.`);
  // A misspelt readOnly (`readonly: true`) would otherwise leave replay on.
  refuseUnknownOptions('createInspector()', options, INSPECTOR_OPTIONS);
  if (typeof options.authorize !== 'function') {
    throw invalid(
      `authorize must be a function (request) => boolean; received ${typeof options.authorize}. The inspector has no unauthenticated mode: check a session, a bearer token or your framework's auth in authorize.`,
    );
  }
  const { receiver } = options;
  if (typeof receiver?.replay !== 'function' || typeof receiver.options !== 'object') throw invalid('receiver must be a receiver from createReceiver().');
  if (receiver.options.deliveryLog === undefined && receiver.options.queue === undefined) {
    throw invalid('the receiver keeps neither a delivery log nor a queue, so there is nothing to inspect: pass deliveryLog (and queue, for dead letters) to createReceiver.');
  }
  const pageSize = options.pageSize ?? 50;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1_000) throw invalid(`pageSize must be an integer from 1 to 1000; received ${String(pageSize)}.`);
  const refreshMs = options.refreshMs ?? 2_000;
  if (!Number.isInteger(refreshMs) || refreshMs < 0) throw invalid(`refreshMs must be a non-negative integer; received ${String(refreshMs)}.`);
  const readTimeoutMs = options.readTimeoutMs ?? 10_000;
  if (!Number.isInteger(readTimeoutMs) || readTimeoutMs < 1 || readTimeoutMs > 2_147_483_647) {
    throw invalid(`readTimeoutMs must be an integer number of milliseconds from 1 to 2147483647; received ${String(readTimeoutMs)}.`);
  }
  const basePath = options.basePath?.replace(/\/+$/, '');
  if (basePath !== undefined && basePath !== '' && !basePath.startsWith('/')) throw invalid(`basePath must start with '/'; received ${JSON.stringify(options.basePath)}.`);
  return {
    receiver,
    authorize: options.authorize,
    readOnly: options.readOnly === true,
    redact: options.redact ?? redactSecrets,
    basePath,
    pageSize,
    refreshMs,
    readTimeoutMs,
    onUnauthorized: options.onUnauthorized ?? (() => text(401, 'Unauthorized.', { 'www-authenticate': 'Bearer realm="hookguard inspector"' })),
  };
}

/**
 * A queue's last error as pages show it: masked as the delivery log masks messages. The engine
 * keeps it as the handler threw it, and a handler's error often quotes the payload.
 */
function maskedError(lastError: string | undefined): string | undefined {
  return lastError === undefined ? undefined : redactMessage(lastError);
}
