// Compile-time checks (tsc only, `npm run typecheck`): once() and ctx.once refuse a result type
// that JSON would not store as it is, before fn has acted and its result has nowhere to go.
import { expectTypeOf } from 'vitest';
import type { ContextOnce } from './context-once.js';
import type { DedupStore } from '../store/dedup-store.js';
import { once, type JsonOnceWork } from './once.js';

declare const store: DedupStore;
declare const ctxOnce: ContextOnce;

interface Reply {
  id: string;
  to?: { address: string };
  tags: readonly string[];
  metadata: Record<string, string | number | null>;
}
declare const send: () => Promise<Reply>;

// JSON data passes, and the result keeps its own type.
expectTypeOf(await once(store, 'reply:1', send)).toEqualTypeOf<Reply>();
expectTypeOf(await ctxOnce('reply:1', send)).toEqualTypeOf<Reply>();
expectTypeOf(await once(store, 'step:1', async () => undefined)).toEqualTypeOf<undefined>();
expectTypeOf(await once(store, 'step:2', () => [1, 'a', null, { ok: true }] as const)).toEqualTypeOf<readonly [1, 'a', null, { readonly ok: true }]>();
expectTypeOf(await once(store, 'step:3', async () => JSON.parse('{}') as unknown)).toEqualTypeOf<unknown>();

// A Date, a Map, a bigint or a method anywhere in the result is refused.
// @ts-expect-error createdAt is a Date: JSON stores a string
await once(store, 'mail:1', async () => ({ id: 'm_1', createdAt: new Date() }));
// @ts-expect-error a Date inside an array item, through ctx.once
await ctxOnce('mail:2', async () => [{ sentAt: new Date() }]);
// @ts-expect-error JSON stores a Map as {}
await once(store, 'counts', () => new Map<string, number>());
// @ts-expect-error JSON.stringify throws on a bigint
await once(store, 'total', async () => 10n);
class Mailbox {
  constructor(readonly address: string) {}
  send(): void {}
}
// @ts-expect-error a class instance with methods
await once(store, 'mailbox', async () => new Mailbox('a@example.com'));

// A generic wrapper passes the check on by taking JsonOnceWork itself.
function cached<R>(key: string, fn: JsonOnceWork<R>): Promise<R> {
  return once(store, key, fn);
}
expectTypeOf(await cached('reply:2', send)).toEqualTypeOf<Reply>();
// @ts-expect-error the wrapper's callers are checked too
await cached('mail:3', async () => ({ sentAt: new Date() }));
