import { WebhookError, refuseUnknownOptions, type OptionNames, type ReceiveResult, type Receiver } from '@hookguard/core';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, RegisterOptions } from 'fastify';
import fp from 'fastify-plugin';
import { limitBody, type RawBodySource } from './body-limit.js';

/**
 * The parts of a receiver the plugin uses; any `Receiver<Events>` fits. `options.maxBodyBytes`,
 * when present, spares the plugin its own byte count when the receiver's limit is the smaller one.
 */
export type ReceiverLike = Pick<Receiver, 'receive' | 'reject'> & { readonly options?: { readonly maxBodyBytes: number } };

/** Options for the {@link hookguard} plugin. */
export type HookguardOptions = {
  /** The receiver that verifies, deduplicates and dispatches each delivery. */
  receiver: ReceiverLike;
  /**
   * The route's path, inside the `prefix` the plugin is registered with.
   * @default '/webhooks'
   */
  path?: string;
  /**
   * The route's Fastify `bodyLimit` in bytes. The smaller of it and the receiver's `maxBodyBytes`
   * applies; either way, a larger body gets 413 `{"error":"ERR_HOOKGUARD_BODY_TOO_LARGE"}`.
   * @default the server's bodyLimit (1 MiB unless configured)
   */
  bodyLimit?: number;
  /**
   * Called with every result before it is written, e.g. to add metrics or headers. Must not send
   * the reply itself.
   * @default undefined
   */
  onResult?: (result: ReceiveResult, request: FastifyRequest, reply: FastifyReply) => void;
};

const EMPTY = new Uint8Array(0);
/** Fastify's documented default `bodyLimit`, should `initialConfig` lack one. */
const DEFAULT_FASTIFY_BODY_LIMIT = 1_048_576;

const BODY_ALREADY_PARSED = new WebhookError(
  'ERR_HOOKGUARD_BODY_ALREADY_PARSED',
  "The request body reached the webhook route already parsed, so the exact bytes the signature covers are gone. A hook " +
    "(preValidation, preHandler) replaced request.body; leave the body of the hookguard route untouched.",
);

function isStream(value: unknown): value is AsyncIterable<Uint8Array | string> {
  return typeof value === 'object' && value !== null && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/** The stream the plugin's parser handed over, or bytes; `undefined` when something replaced the body. */
function parsedBodyOf(request: FastifyRequest): RawBodySource | undefined {
  const { body } = request;
  // Fastify runs no parser for a request with neither a Content-Type nor a body.
  if (body === undefined || body === null) return EMPTY;
  if (body instanceof Uint8Array || isStream(body)) return body;
  return undefined;
}

/**
 * Hands one request to the receiver. `routeBodyLimit` is the route's Fastify `bodyLimit`, known
 * at registration (`request.routeOptions` would build an object of every route option per request).
 * Not `async`: a refusal is answered without a promise, and a delivery's promise is the receiver's own.
 */
function receiveDelivery(
  receiver: ReceiverLike,
  request: FastifyRequest,
  body: RawBodySource | undefined,
  routeBodyLimit: number,
): ReceiveResult | Promise<ReceiveResult> {
  if (body === undefined) return receiver.reject(BODY_ALREADY_PARSED);
  const receiverLimit = receiver.options?.maxBodyBytes ?? Number.POSITIVE_INFINITY;
  const limited = routeBodyLimit < receiverLimit ? limitBody(body, Number(request.headers['content-length']), routeBodyLimit) : body;
  if (limited instanceof WebhookError) return receiver.reject(limited);
  return receiver.receive({ rawBody: limited, headers: request.headers });
}

function write(reply: FastifyReply, request: FastifyRequest, result: ReceiveResult): void {
  reply.code(result.status).headers(result.headers);
  // Refused bodies may still be streaming in: close rather than drain them (HTTP/1 only; HTTP/2 has no such header).
  if ((result.status === 413 || result.status === 408) && request.raw.httpVersionMajor < 2) reply.header('connection', 'close');
  reply.send(result.body);
}

/** The plugin's options, and the `register` options Fastify hands every plugin along with them. */
const PLUGIN_OPTIONS: OptionNames<HookguardOptions & RegisterOptions> = {
  receiver: true,
  path: true,
  bodyLimit: true,
  onResult: true,
  prefix: true,
  logLevel: true,
  logSerializers: true,
};

async function hookguardPlugin(instance: FastifyInstance, options: HookguardOptions): Promise<void> {
  refuseUnknownOptions('@hookguard/fastify', options, PLUGIN_OPTIONS);
  const { receiver, path = '/webhooks', bodyLimit, onResult } = options;
  if (typeof receiver?.receive !== 'function' || typeof receiver.reject !== 'function') {
    throw new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', `@hookguard/fastify needs { receiver } from createReceiver(); received ${receiver === undefined ? 'none' : typeof receiver}.`);
  }
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', `@hookguard/fastify: \`path\` must start with '/'; received ${JSON.stringify(path)}.`);
  }
  // What Fastify applies to the route: its own option, else the server's.
  const routeBodyLimit = bodyLimit ?? instance.initialConfig.bodyLimit ?? DEFAULT_FASTIFY_BODY_LIMIT;
  // This scope only: every content type reaches the route as the unread stream, so the receiver
  // sees the exact bytes, while the rest of the app keeps Fastify's JSON and text parsers.
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser('*', (_request, payload, done) => {
    done(null, payload);
  });
  // Returns nothing: the reply is sent, and a handler's promise resolving to the reply would make
  // Fastify adopt it as a thenable (Reply#then), one more step per delivery.
  const respond = (request: FastifyRequest, reply: FastifyReply, result: ReceiveResult): undefined => {
    request.log.debug({ outcome: result.outcome, status: result.status, eventId: result.event?.id }, 'webhook delivery handled');
    onResult?.(result, request, reply);
    write(reply, request, result);
    return undefined;
  };
  // One promise per delivery, the receiver's, chained once: no async wrappers around it.
  const answer = (request: FastifyRequest, reply: FastifyReply, body: RawBodySource | undefined): Promise<undefined> => {
    const result = receiveDelivery(receiver, request, body, routeBodyLimit);
    if (result instanceof Promise) return (result as Promise<ReceiveResult>).then((received) => respond(request, reply, received));
    return Promise.resolve(respond(request, reply, result));
  };
  instance.post(path, bodyLimit === undefined ? {} : { bodyLimit }, (request, reply) => answer(request, reply, parsedBodyOf(request)));
  instance.setErrorHandler(async (error: FastifyError, request, reply) => {
    // Fastify refuses a Content-Type it cannot parse (`json`, an empty value) with 415 before any
    // parser runs. The body is still unread, and the signature, not the media type, decides.
    if (error.code !== 'FST_ERR_CTP_INVALID_MEDIA_TYPE') throw error;
    return answer(request, reply, request.raw);
  });
}

/**
 * A Fastify 5 plugin that receives webhooks through a hookguard receiver on one POST route. The
 * route lives in the plugin's own encapsulated scope with a catch-all content-type parser that
 * hands over the raw request stream, so the receiver verifies the exact bytes, whatever the
 * Content-Type, while the rest of the app keeps Fastify's normal JSON parsing. Bodies over the
 * route's `bodyLimit` or the receiver's `maxBodyBytes` get 413.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { createReceiver, standardWebhooks } from '@hookguard/core';
 * import { hookguard } from '@hookguard/fastify';
 *
 * const receiver = createReceiver({ verifier: standardWebhooks({ secret: process.env.WEBHOOK_SECRET! }) });
 * receiver.on('message.received', async (event) => { await reply(event.payload); });
 *
 * const app = Fastify({ logger: true });
 * await app.register(hookguard, { receiver, path: '/webhooks' });
 * ```
 */
export const hookguard: FastifyPluginAsync<HookguardOptions> = fp(hookguardPlugin, {
  name: '@hookguard/fastify',
  fastify: '5.x',
  // fastify-plugin's default skips encapsulation, which would hand the raw parser to the parent scope.
  encapsulate: true,
});
