import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store.js';
import { standardWebhooks, unsafeNoVerification } from '../verifiers/index.js';
import { createReceiver } from './create-receiver.js';
import { Webhook } from 'standardwebhooks';
import { FlakyStore, SECRET, captureLogs, signedBody } from './receiver.fixtures.js';
import { severalProcessesLikely } from './setup-warnings.js';
import type { ReceiverOptions } from './types.js';

const verifier = standardWebhooks({ secret: SECRET });

describe('createReceiver() configuration', () => {
  it.each<[string, Partial<ReceiverOptions>, RegExp]>([
    ['no verifier', { verifier: undefined as never }, /verifier.*required/],
    ['a zero lease', { leaseMs: 0 }, /leaseMs/],
    ['a fractional retention', { retentionMs: 1.5 }, /retentionMs/],
    ['a negative body limit', { maxBodyBytes: -1 }, /maxBodyBytes/],
    ['an unknown store policy', { onStoreError: 'ignore' as never }, /onStoreError/],
    ['an empty namespace', { namespace: '' }, /namespace/],
    ["the namespace 'once', which once() keys start with", { namespace: 'once' }, /namespace 'once' is reserved for once\(\) keys/],
    ["a namespace starting with 'once:'", { namespace: 'once:billing' }, /namespace 'once:billing' starts with 'once:', which is reserved for once\(\) keys/],
    ['zero attempts', { maxAttempts: 0 }, /maxAttempts/],
    ['an inexact store without consent', { store: new FlakyStore(new MemoryStore(), { exact: false }) }, /acceptFalsePositives/],
    ['a body timeout of 2^31 ms, which a timer turns into 1 ms', { bodyTimeoutMs: 2 ** 31 }, /bodyTimeoutMs must be an integer number of milliseconds from 1 to 2147483647.*received 2147483648/],
    ['a zero body timeout', { bodyTimeoutMs: 0 }, /bodyTimeoutMs.*from 1 to 2147483647/],
    ['a lease of 6 · 2^31 ms, which would heartbeat every millisecond', { leaseMs: 6 * 2 ** 31 }, /leaseMs.*from 10 to 2147483647/],
    ['a fractional lease', { leaseMs: 1_000.5 }, /leaseMs/],
    ['an infinite lease', { leaseMs: Number.POSITIVE_INFINITY }, /leaseMs/],
    ['a zero handler deadline', { handlerTimeoutMs: 0 }, /handlerTimeoutMs.*from 1 to 2147483647/],
    ['a handler deadline of 2^31 ms', { handlerTimeoutMs: 2 ** 31 }, /handlerTimeoutMs.*from 1 to 2147483647/],
    ['a handler deadline that is not a number', { handlerTimeoutMs: '30s' as never }, /handlerTimeoutMs.*received string/],
    ['a NaN handler deadline', { handlerTimeoutMs: Number.NaN }, /handlerTimeoutMs/],
    // Before, untyped callers' misspelt options were ignored: the lease stayed at 60 s.
    ['a misspelt option (leaseMS)', { leaseMS: 300_000 } as never, /unknown option 'leaseMS'\. Did you mean 'leaseMs'\? The options are verifier, queue, /],
    ['a shortened option (retention)', { retention: 86_400_000 } as never, /unknown option 'retention'\. Did you mean 'retentionMs'\?/],
    ['an option of another library', { bodyLimit: 1024 } as never, /unknown option 'bodyLimit'\. The options are .*maxBodyBytes/],
  ])('throws ERR_HOOKGUARD_INVALID_OPTIONS at construction for %s', (_name, options, message) => {
    let thrown: unknown;
    try {
      createReceiver({ verifier, logger: captureLogs().logger, ...options });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' });
    expect((thrown as Error).message).toMatch(message);
  });

  it('accepts the longest durations a timer can wait, no handler deadline by default, and retentions beyond 24.8 days', () => {
    const logger = captureLogs().logger;
    const longest = createReceiver({ verifier, logger, leaseMs: 2 ** 31 - 1, bodyTimeoutMs: 2 ** 31 - 1, handlerTimeoutMs: 2 ** 31 - 1, retentionMs: 30 * 24 * 3_600_000 });
    expect(longest.options).toMatchObject({ leaseMs: 2 ** 31 - 1, bodyTimeoutMs: 2 ** 31 - 1, handlerTimeoutMs: 2 ** 31 - 1, retentionMs: 2_592_000_000 });
    expect(createReceiver({ verifier, logger }).options.handlerTimeoutMs).toBe(Number.POSITIVE_INFINITY);
    expect(createReceiver({ verifier, logger, handlerTimeoutMs: Number.POSITIVE_INFINITY }).options.handlerTimeoutMs).toBe(Number.POSITIVE_INFINITY);
    expect(createReceiver({ verifier, logger, leaseMs: 10 }).options.leaseMs).toBe(10);
  });

  it('refuses a shared store without an explicit namespace, saying which namespace keeps the keys used so far', () => {
    let thrown: unknown;
    try {
      createReceiver({ verifier, store: new FlakyStore(new MemoryStore()), logger: captureLogs().logger });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' });
    expect((thrown as Error).message).toContain("the 'flaky' store is shared");
    expect((thrown as Error).message).toContain("pass namespace: 'standard-webhooks'");
    // The same verifier name is kept when it is given explicitly, and a private store needs none.
    expect(createReceiver({ verifier, store: new FlakyStore(new MemoryStore()), namespace: 'standard-webhooks' }).options.namespace).toBe('standard-webhooks');
    expect(createReceiver({ verifier, store: new MemoryStore() }).options.namespace).toBe('standard-webhooks');
  });

  it('lets two endpoints on one shared store, one event id sent to both, each run it once', async () => {
    // Svix and Stripe send one event, with one id, to every subscribed endpoint, each signed with its own secret.
    const store = new FlakyStore(new MemoryStore());
    const billingSecret = 'whsec_' + Buffer.from('billing-endpoint-secret-0123456').toString('base64');
    const analytics = createReceiver({ verifier, store, namespace: 'svix-analytics', logger: captureLogs().logger });
    const billing = createReceiver({ verifier: standardWebhooks({ secret: billingSecret }), store, namespace: 'svix-billing', logger: captureLogs().logger });
    const ran: string[] = [];
    analytics.on('invoice.paid', () => void ran.push('analytics'));
    billing.on('invoice.paid', () => void ran.push('billing'));
    const at = Date.now();
    expect((await analytics.receive(signedBody('msg_shared', JSON.stringify({ type: 'invoice.paid', data: {} }), at))).outcome).toBe('processed');
    expect((await billing.receive(signedWith(billingSecret, 'msg_shared', JSON.stringify({ type: 'invoice.paid', data: {} }), at))).outcome).toBe('processed');
    expect(ran).toEqual(['analytics', 'billing']);
  });

  it('refuses a transactional handler on a store without transactions', () => {
    const receiver = createReceiver({ verifier, logger: captureLogs().logger });
    expect(() => receiver.on('a.b', () => undefined, { transaction: true })).toThrow(/transaction/);
  });

  it('applies defaults without touching the caller’s object', () => {
    const options: ReceiverOptions = { verifier };
    const receiver = createReceiver(options);
    expect(Object.keys(options)).toEqual(['verifier']);
    expect(receiver.options).toMatchObject({
      namespace: 'standard-webhooks',
      leaseMs: 60_000,
      maxBodyBytes: 1_048_576,
      onStoreError: 'reject',
      maxAttempts: Number.POSITIVE_INFINITY,
    });
    expect(receiver.options.store).toBeInstanceOf(MemoryStore);
    expect(Object.isFrozen(receiver.options)).toBe(true);
  });

  it('warns once about unsafeNoVerification, and not when switched off', () => {
    const logs = captureLogs();
    createReceiver({ verifier: unsafeNoVerification(), logger: logs.logger });
    expect(logs.codes('warn')).toEqual(['WARN_HOOKGUARD_UNSAFE_NO_VERIFICATION']);
    const quiet = captureLogs();
    createReceiver({ verifier: unsafeNoVerification(), logger: quiet.logger, warnings: { WARN_HOOKGUARD_UNSAFE_NO_VERIFICATION: false } });
    expect(quiet.lines).toEqual([]);
  });

  it('warns when the store forgets ids sooner than the receiver’s retention', () => {
    const logs = captureLogs();
    const store = Object.assign(new FlakyStore(new MemoryStore()), { retentionMs: 3_600_000 });
    createReceiver({ verifier, store, namespace: 'mail', retentionMs: 7_200_000, logger: logs.logger });
    expect(logs.codes('warn')).toEqual(['WARN_HOOKGUARD_RETENTION_SHORTER_THAN_RECEIVER']);
    const enough = captureLogs();
    createReceiver({ verifier, store, namespace: 'mail', retentionMs: 3_600_000, logger: enough.logger });
    expect(enough.lines).toEqual([]);
  });

  it('recognises the usual signs of several processes behind one endpoint', () => {
    expect(severalProcessesLikely({})).toBeUndefined();
    expect(severalProcessesLikely({ WEB_CONCURRENCY: '1' })).toBeUndefined();
    expect(severalProcessesLikely({ WEB_CONCURRENCY: '4' })).toMatch(/WEB_CONCURRENCY/);
    expect(severalProcessesLikely({ NODE_UNIQUE_ID: '1' })).toMatch(/cluster/);
    expect(severalProcessesLikely({ NODE_APP_INSTANCE: '0' })).toMatch(/pm2/);
    expect(severalProcessesLikely({ KUBERNETES_SERVICE_HOST: '10.0.0.1' })).toMatch(/Kubernetes/);
  });
});

/** A delivery signed by the standardwebhooks SDK with another endpoint's secret. */
function signedWith(secret: string, id: string, rawBody: string, at: number) {
  return {
    rawBody,
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, new Date(at), rawBody),
      'content-type': 'application/json',
    },
  };
}
