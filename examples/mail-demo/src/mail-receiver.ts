import { createReceiver, standardWebhooks, type DedupStore, type Logger, type ReceiveOutcome, type Receiver, type WebhookQueue } from '@hookguard/core';
import { keepAliveAgent } from './http-post.js';
import { sendReply } from './mail-api.js';

/** The events the mail provider sends. */
export type MailEvents = {
  'message.received': { data: { messageId: string; from: string; subject: string; text: string } };
};

/** Options for {@link createMailReceiver}. */
export type MailReceiverOptions = {
  store: DedupStore;
  /** Queued mode's queue; inline mode without one. */
  queue?: WebhookQueue;
  /** The endpoint's signing secret (`whsec_…`). */
  secret: string;
  namespace: string;
  retentionMs: number;
  /** The mail API the handler replies through. */
  api: { url: string; apiKey: string };
  /** Reply inside `ctx.once` (`false` replies directly, to show the duplicates that prevents). */
  useOnce: boolean;
  /** Whether the handler's first attempt for a message fails after replying (a transient fault). */
  failsFirstAttempt: (messageId: string) => boolean;
  /** Where the receiver's warnings and errors go; they are counted either way. */
  log?: (line: string) => void;
};

/** What the receiver side saw. */
export type MailReceiverState = {
  receiver: Receiver<MailEvents>;
  /** Messages whose handler ran to the end. */
  handled: Set<string>;
  /** Every message id a handler was called with. */
  seen: Set<string>;
  /** Handler calls that threw. */
  handlerFailures: number;
  /** Handler runs that got the reply `ctx.once` stored earlier instead of sending another. */
  repliesReused: number;
  /** Receiver outcomes, from `onDelivery`. */
  outcomes: Partial<Record<ReceiveOutcome, number>>;
  /** Closes the connections to the mail API. */
  close: () => void;
};

/**
 * The application side of the demo: a Standard Webhooks receiver whose `message.received`
 * handler replies to the message through the mail API inside `ctx.once`, so the reply is sent
 * once however often the event arrives, even when the handler fails after replying and the
 * provider redelivers.
 */
export function createMailReceiver(options: MailReceiverOptions): MailReceiverState {
  const logger: Logger = {
    warn: (fields, message) => options.log?.(`warn  ${message} ${JSON.stringify(fields)}`),
    error: (fields, message) => options.log?.(`error ${message} ${JSON.stringify(fields)}`),
  };
  const agent = keepAliveAgent();
  const state: Omit<MailReceiverState, 'receiver'> = { handled: new Set(), seen: new Set(), handlerFailures: 0, repliesReused: 0, outcomes: {}, close: () => agent.destroy() };
  const receiver = createReceiver<MailEvents>({
    verifier: standardWebhooks({ secret: options.secret }),
    store: options.store,
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    // Queued mode's own retries, scaled down like the provider's.
    retry: { attempts: 10, minDelayMs: 20, maxDelayMs: 500 },
    namespace: options.namespace,
    // Short enough that a Retry-After (the lease left) stays small in the scaled-down demo.
    leaseMs: 5_000,
    retentionMs: options.retentionMs,
    logger,
    onDelivery: (report) => {
      state.outcomes[report.outcome] = (state.outcomes[report.outcome] ?? 0) + 1;
    },
  });

  receiver.on('message.received', async (event, ctx) => {
    const { messageId, from, subject } = event.payload.data;
    state.seen.add(messageId);
    const text = `Hi ${from}, thanks for writing about "${subject}". We will get back to you within a day.`;
    let sent = false;
    const send = ({ signal }: { signal: AbortSignal }): Promise<{ id: string }> => {
      sent = true;
      return sendReply(options.api, agent, messageId, text, signal);
    };
    const reply = options.useOnce ? await ctx.once(`reply:${messageId}`, send) : await send(ctx);
    if (!sent) state.repliesReused++;
    if (ctx.attempt === 1 && options.failsFirstAttempt(messageId)) {
      throw new Error(`the ticketing system timed out after reply ${reply.id} was sent`);
    }
    state.handled.add(messageId);
  });
  receiver.onError(() => {
    state.handlerFailures++;
  });

  return Object.assign(state, { receiver });
}
