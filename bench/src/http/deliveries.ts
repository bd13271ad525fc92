import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { GitHubDeliveryPool, type Delivery } from '../adapters/github-deliveries.js';

const SECRET_BYTES = Buffer.alloc(32, 0x5a);
const SECRET_KEY = createSecretKey(SECRET_BYTES);

/** The Standard Webhooks secret every server and signer in the HTTP rounds shares. */
export const SECRET = `whsec_${SECRET_BYTES.toString('base64')}`;

/** The event type every delivery carries; the servers' handlers listen for it. */
export const EVENT_TYPE = 'invoice.paid';

/** Bytes of every request body. */
export const BODY_BYTES = 1024;

function makeBody(size: number): Buffer {
  const head = `{"type":"${EVENT_TYPE}","timestamp":"2025-01-01T00:00:00.000Z","data":{"object":"invoice","id":"in_1QwErTyUiOpAsDfGhJkL","amount_paid":4200,"currency":"eur","padding":"`;
  const tail = '"}}';
  return Buffer.from(head + 'x'.repeat(size - head.length - tail.length) + tail);
}

/** The 1 KB JSON body of every delivery. The event id travels in `webhook-id`, so one body serves all. */
export const BODY = makeBody(BODY_BYTES);

/** Headers of one signed delivery, as autocannon sends them. */
export type DeliveryHeaders = Record<string, string>;

/** Standard Webhooks headers for `id`, signed at `timestampSeconds`. */
export function signDelivery(id: string, timestampSeconds: number, body: Buffer = BODY): DeliveryHeaders {
  const timestamp = String(timestampSeconds);
  const signature = createHmac('sha256', SECRET_KEY).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${signature}`,
  };
}

/**
 * Pre-signed deliveries handed out round-robin. Signing happens before a round, in `refill`, so the
 * load generator spends nothing on HMACs while the server is measured. `handedOut` beyond
 * `size` means ids repeated: the round then measured duplicates too.
 */
export class DeliveryPool {
  #entries: DeliveryHeaders[] = [];
  #next = 0;
  #handedOut = 0;
  #serial = 0;
  readonly #tag = randomBytes(6).toString('base64url');

  /** Deliveries signed by the last refill. */
  get size(): number {
    return this.#entries.length;
  }

  /** Deliveries handed out since the last refill. */
  get handedOut(): number {
    return this.#handedOut;
  }

  /** Signs `count` deliveries with ids never used before, timestamped now. */
  refill(count: number): void {
    const now = Math.floor(Date.now() / 1000);
    const entries = new Array<DeliveryHeaders>(count);
    for (let index = 0; index < count; index++) {
      entries[index] = signDelivery(`msg_${this.#tag}${(this.#serial++).toString(36).padStart(10, '0')}`, now);
    }
    this.#entries = entries;
    this.#next = 0;
    this.#handedOut = 0;
  }

  /** Re-signs the same ids with a fresh timestamp, so a round of repeats stays inside the tolerance. */
  resign(): void {
    const now = Math.floor(Date.now() / 1000);
    this.#entries = this.#entries.map((headers) => signDelivery(headers['webhook-id']!, now));
    this.#next = 0;
    this.#handedOut = 0;
  }

  /** Hands the same deliveries out again from the first. */
  rewind(): void {
    this.#next = 0;
    this.#handedOut = 0;
  }

  /** The next delivery's headers. */
  next(): DeliveryHeaders {
    const entry = this.#entries[this.#next]!;
    this.#next = this.#next + 1 === this.#entries.length ? 0 : this.#next + 1;
    this.#handedOut++;
    return entry;
  }
}

/**
 * `count` new deliveries of one provider, signed now, as the rounds send them: Standard Webhooks
 * ones all carry {@link BODY}, GitHub ones a body each (GitHub signs only the body).
 */
export function signedDeliveries(provider: 'standard-webhooks' | 'github', count: number): Delivery[] {
  const deliveries: Delivery[] = [];
  if (provider === 'github') {
    const pool = new GitHubDeliveryPool();
    pool.refill(count);
    for (let index = 0; index < count; index++) deliveries.push(pool.next());
  } else {
    const pool = new DeliveryPool();
    pool.refill(count);
    for (let index = 0; index < count; index++) deliveries.push({ headers: pool.next(), body: BODY });
  }
  return deliveries;
}
