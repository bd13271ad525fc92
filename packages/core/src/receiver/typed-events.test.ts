import { describe, expect, expectTypeOf, it } from 'vitest';
import { unsafeNoVerification } from '../verifiers/index.js';
import { createReceiver } from './create-receiver.js';
import type { TransactionClient, WebhookEvent } from './types.js';

type Events = {
  'message.received': { data: { messageId: string } };
  'message.bounced': { data: { reason: string } };
  'domain.verified': { data: { domain: string } };
};

// These assertions are checked by the type checker (`npm run typecheck`, run in CI).
describe('createReceiver<EventMap>() types', () => {
  it('narrows event.payload for an exact type, a wildcard and the catch-all', () => {
    const receiver = createReceiver<Events>({ verifier: unsafeNoVerification(), warnings: { WARN_HOOKGUARD_UNSAFE_NO_VERIFICATION: false } });
    receiver.on('message.received', (event) => {
      expectTypeOf(event.type).toEqualTypeOf<'message.received'>();
      expectTypeOf(event.payload.data.messageId).toEqualTypeOf<string>();
    });
    receiver.on('message.*', (event) => {
      expectTypeOf(event.type).toEqualTypeOf<'message.received' | 'message.bounced'>();
      if (event.type === 'message.bounced') expectTypeOf(event.payload.data.reason).toEqualTypeOf<string>();
    });
    receiver.on('*', (event) => {
      expectTypeOf(event.type).toEqualTypeOf<keyof Events>();
    });
    receiver.on(['message.received', 'domain.verified'], (event) => {
      expectTypeOf(event).toEqualTypeOf<
        WebhookEvent<'message.received', Events['message.received']> | WebhookEvent<'domain.verified', Events['domain.verified']>
      >();
    });
    receiver.on('not.in.the.map', (event) => {
      expectTypeOf(event.payload).toEqualTypeOf<unknown>();
    });
  });

  it('gives transactional handlers ctx.db and plain handlers none', () => {
    const receiver = createReceiver<Events>({ verifier: unsafeNoVerification(), warnings: { WARN_HOOKGUARD_UNSAFE_NO_VERIFICATION: false } });
    receiver.on('message.received', (_event, ctx) => {
      expectTypeOf(ctx).not.toHaveProperty('db');
      expectTypeOf(ctx.attempt).toEqualTypeOf<number>();
    });
    const transactional = () =>
      receiver.on(
        'message.received',
        (_event, ctx) => {
          expectTypeOf(ctx.db).toEqualTypeOf<TransactionClient>();
        },
        { transaction: true },
      );
    // The memory store has no transactions, so registering one is refused at once.
    expect(transactional).toThrow(/transaction/);
  });
});
