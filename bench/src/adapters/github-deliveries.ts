import { createHmac, randomBytes } from 'node:crypto';

/** The GitHub webhook secret of the octokit comparison's servers and signer. */
export const GITHUB_SECRET = 'bench-github-secret-5a5a5a5a5a5a5a5a';

/** A delivery as autocannon sends it. */
export type Delivery = { headers: Record<string, string>; body: Buffer };

const BODY_BYTES = 1024;

function issueBody(serial: number, tag: string): Buffer {
  const head = `{"action":"opened","issue":{"id":${serial},"number":${serial},"title":"Bench ${tag} ${serial}","state":"open","body":"`;
  const tail = `"},"repository":{"id":1296269,"full_name":"octocat/Hello-World"},"sender":{"login":"octocat","id":1}}`;
  return Buffer.from(head + 'x'.repeat(Math.max(0, BODY_BYTES - head.length - tail.length)) + tail);
}

/**
 * GitHub `issues.opened` deliveries of 1 KB, each with its own body (GitHub signs only the body,
 * so hookguard keys dedup on it) and delivery id, signed with `X-Hub-Signature-256` before a round
 * so the load generator spends nothing on HMACs while the server is measured.
 */
export class GitHubDeliveryPool {
  #entries: Delivery[] = [];
  #next = 0;
  #handedOut = 0;
  #serial = 0;
  readonly #tag = randomBytes(6).toString('hex');

  /** Signs `count` new deliveries. */
  refill(count: number): void {
    this.#entries = Array.from({ length: count }, () => {
      const serial = this.#serial++;
      const body = issueBody(serial, this.#tag);
      return {
        body,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'issues',
          'x-github-delivery': `${this.#tag}-${serial}`,
          'x-hub-signature-256': `sha256=${createHmac('sha256', GITHUB_SECRET).update(body).digest('hex')}`,
        },
      };
    });
    this.#next = 0;
    this.#handedOut = 0;
  }

  /** Hands the same deliveries out again from the first (to the next server of the round). */
  rewind(): void {
    this.#next = 0;
    this.#handedOut = 0;
  }

  /** Deliveries signed by the last refill. */
  get size(): number {
    return this.#entries.length;
  }

  /** Deliveries handed out since the last refill or rewind. */
  get handedOut(): number {
    return this.#handedOut;
  }

  next(): Delivery {
    const entry = this.#entries[this.#next]!;
    this.#next = this.#next + 1 === this.#entries.length ? 0 : this.#next + 1;
    this.#handedOut++;
    return entry;
  }
}
