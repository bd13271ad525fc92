import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import type { EventPlan } from './fault-plan.js';
import { keepAliveAgent, post } from './http-post.js';
import { chance } from './seeded.js';

/** How the simulated provider delivers, scaled down from seconds and minutes to milliseconds. */
export type SenderOptions = {
  /** The receiver's webhook URL. */
  url: string;
  /** The endpoint's signing secret (`whsec_…`). */
  secret: string;
  seed: number;
  /** A delivery not answered within this long counts as failed and is retried. */
  timeoutMs: number;
  /** Attempts per delivery chain before the provider gives up. */
  maxAttempts: number;
  /** Backoff before retry n is `backoffBaseMs * 2^(n-1)`, ±25 % jitter, at most `backoffCapMs`. */
  backoffBaseMs: number;
  backoffCapMs: number;
  /** Milliseconds waited per second of a `Retry-After` header. */
  retryAfterScaleMs: number;
};

/** What the provider saw. */
export type SenderStats = {
  eventsSent: number;
  eventsDelivered: number;
  deliveries: number;
  retries: number;
  accepted: number;
  duplicates: number;
  inProgress: number;
  handlerFailures: number;
  otherErrors: number;
  timeouts: number;
  droppedResponses: number;
  gaveUp: number;
  forgedSent: number;
  forgedRejected: number;
  /** Forged deliveries answered with anything but 401. */
  forgedAccepted: number;
};

type Answer = { kind: 'answered'; status: number; body: string; retryAfterSeconds: number | undefined } | { kind: 'timeout' } | { kind: 'error' };

/**
 * The provider's delivery engine: signs each `message.received` event with the official
 * `standardwebhooks` SDK and delivers it at least once, the way real providers do — retries with
 * exponential backoff on a non-2xx answer or a timeout, honouring `Retry-After`; some events sent
 * twice or three times at once; some answers lost after the receiver handled the event; and forged
 * copies signed with the wrong key.
 */
export class WebhookSender {
  readonly stats: SenderStats = {
    eventsSent: 0,
    eventsDelivered: 0,
    deliveries: 0,
    retries: 0,
    accepted: 0,
    duplicates: 0,
    inProgress: 0,
    handlerFailures: 0,
    otherErrors: 0,
    timeouts: 0,
    droppedResponses: 0,
    gaveUp: 0,
    forgedSent: 0,
    forgedRejected: 0,
    forgedAccepted: 0,
  };
  /** Message ids carried by forged deliveries. */
  readonly forgedMessageIds = new Set<string>();
  /** Event ids the provider saw a 2xx for. */
  readonly delivered = new Set<string>();
  /** How long each answered delivery took to be answered, in milliseconds. */
  readonly answerTimesMs: number[] = [];
  readonly #options: SenderOptions;
  readonly #signer: Webhook;
  readonly #forger = new Webhook(`whsec_${randomBytes(24).toString('base64')}`);
  readonly #dropped = new Set<string>();
  readonly #agent = keepAliveAgent();

  constructor(options: SenderOptions) {
    this.#options = options;
    this.#signer = new Webhook(options.secret);
  }

  /** Delivers one event (and any forged copy and duplicates the plan calls for) until answered 2xx or given up. */
  async deliver(plan: EventPlan): Promise<void> {
    if (plan.forged) await this.#sendForged(plan);
    this.stats.eventsSent++;
    const body = JSON.stringify({
      type: 'message.received',
      timestamp: new Date().toISOString(),
      data: { messageId: plan.messageId, from: plan.from, subject: plan.subject, text: `Hi, about "${plan.subject}"…` },
    });
    const chains = Array.from({ length: plan.chains }, async (_, chain) => {
      if (chain > 0 && plan.chainGapMs > 0) await sleep(chain * plan.chainGapMs);
      return this.#chain(plan, body, chain);
    });
    const outcomes = await Promise.all(chains);
    if (outcomes.some(Boolean)) {
      this.stats.eventsDelivered++;
      this.delivered.add(plan.eventId);
    }
  }

  /** Sends one signed event of a type the receiver ignores, without counting it. */
  async warmUp(): Promise<void> {
    const body = JSON.stringify({ type: 'demo.warm_up', timestamp: new Date().toISOString(), data: {} });
    await post(this.#options.url, { agent: this.#agent, headers: this.#headers(`warm_up_${Date.now()}`, body, this.#signer), body, signal: AbortSignal.timeout(10_000) });
  }

  /** Closes the connections to the receiver. */
  close(): void {
    this.#agent.destroy();
  }

  async #chain(plan: EventPlan, body: string, chain: number): Promise<boolean> {
    for (let attempt = 1; attempt <= this.#options.maxAttempts; attempt++) {
      if (attempt > 1) this.stats.retries++;
      const answer = await this.#send(plan.eventId, body, this.#signer);
      let retryAfterSeconds: number | undefined;
      if (answer.kind === 'answered') {
        retryAfterSeconds = answer.retryAfterSeconds;
        this.#count(answer);
        if (answer.status >= 200 && answer.status < 300) {
          if (!(plan.dropFirstSuccess && chain === 0 && !this.#dropped.has(plan.eventId))) return true;
          // The receiver handled it, but the answer never reached us: to the provider, a timeout.
          this.#dropped.add(plan.eventId);
          this.stats.droppedResponses++;
        }
      } else if (answer.kind === 'timeout') {
        this.stats.timeouts++;
      } else {
        this.stats.otherErrors++;
      }
      if (attempt < this.#options.maxAttempts) await sleep(this.#delay(plan, chain, attempt, retryAfterSeconds));
    }
    this.stats.gaveUp++;
    return false;
  }

  #delay(plan: EventPlan, chain: number, attempt: number, retryAfterSeconds: number | undefined): number {
    const { backoffBaseMs, backoffCapMs, retryAfterScaleMs, seed } = this.#options;
    const jitter = 0.75 + chance(seed, 'jitter', `${plan.index}:${chain}:${attempt}`) / 2;
    const backoff = Math.min(backoffCapMs, backoffBaseMs * 2 ** (attempt - 1)) * jitter;
    return Math.round(Math.max(backoff, (retryAfterSeconds ?? 0) * retryAfterScaleMs));
  }

  #count(answer: Extract<Answer, { kind: 'answered' }>): void {
    const { status } = answer;
    if (status === 200 && answer.body.includes('"duplicate":true')) this.stats.duplicates++;
    else if (status >= 200 && status < 300) this.stats.accepted++;
    else if (status === 409) this.stats.inProgress++;
    else if (status === 500) this.stats.handlerFailures++;
    else this.stats.otherErrors++;
  }

  async #sendForged(plan: EventPlan): Promise<void> {
    // Same id as a real event, so a receiver that claimed ids before verifying would drop the real one.
    const messageId = `msg_forged_${plan.index + 1}`;
    this.forgedMessageIds.add(messageId);
    const body = JSON.stringify({
      type: 'message.received',
      timestamp: new Date().toISOString(),
      data: { messageId, from: 'attacker@example.net', subject: 'Urgent: verify your account', text: 'Click here' },
    });
    this.stats.forgedSent++;
    const answer = await this.#send(plan.eventId, body, this.#forger);
    if (answer.kind === 'answered' && answer.status === 401) this.stats.forgedRejected++;
    else this.stats.forgedAccepted++;
  }

  async #send(eventId: string, body: string, signer: Webhook): Promise<Answer> {
    this.stats.deliveries++;
    const started = performance.now();
    try {
      const answer = await post(this.#options.url, {
        agent: this.#agent,
        headers: this.#headers(eventId, body, signer),
        body,
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      this.answerTimesMs.push(performance.now() - started);
      const retryAfter = Number(answer.headers['retry-after']);
      return { kind: 'answered', status: answer.status, body: answer.body, retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined };
    } catch (error) {
      return (error as { name?: string }).name === 'TimeoutError' ? { kind: 'timeout' } : { kind: 'error' };
    }
  }

  #headers(eventId: string, body: string, signer: Webhook): Record<string, string> {
    // A fresh timestamp and signature per attempt, as Standard Webhooks senders do; the id stays.
    const now = new Date();
    return {
      'content-type': 'application/json',
      'user-agent': 'mail-demo-provider/1.0',
      'webhook-id': eventId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signer.sign(eventId, now, body),
    };
  }
}
