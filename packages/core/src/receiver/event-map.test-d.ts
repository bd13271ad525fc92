// Compile-time checks (tsc only, `npm run typecheck`): event maps written as interfaces or type
// literals narrow handler payloads alike, and a receiver without a map accepts any type.
import { expectTypeOf } from 'vitest';
import { unsafeNoVerification } from '../verifiers/index.js';
import { createReceiver } from './create-receiver.js';
import type { WebhookEvent } from './types.js';

interface InterfaceEvents {
  'invoice.paid': { data: { invoiceId: string } };
  'invoice.voided': { data: { reason: string } };
  'customer.created': { data: { email: string } };
}

const options = { verifier: unsafeNoVerification(), warnings: { WARN_HOOKGUARD_UNSAFE_NO_VERIFICATION: false } };

const typed = createReceiver<InterfaceEvents>(options);
typed.on('invoice.paid', (event) => {
  expectTypeOf(event.type).toEqualTypeOf<'invoice.paid'>();
  expectTypeOf(event.payload.data.invoiceId).toEqualTypeOf<string>();
});
typed.on('invoice.*', (event) => {
  expectTypeOf(event.type).toEqualTypeOf<'invoice.paid' | 'invoice.voided'>();
  if (event.type === 'invoice.voided') expectTypeOf(event.payload.data.reason).toEqualTypeOf<string>();
});
typed.on('*', (event) => {
  expectTypeOf(event.type).toEqualTypeOf<keyof InterfaceEvents>();
});
typed.on(['invoice.paid', 'customer.created'], (event) => {
  expectTypeOf(event).toEqualTypeOf<
    WebhookEvent<'invoice.paid', InterfaceEvents['invoice.paid']> | WebhookEvent<'customer.created', InterfaceEvents['customer.created']>
  >();
});
typed.on('not.in.the.map', (event) => {
  expectTypeOf(event.payload).toEqualTypeOf<unknown>();
});
typed.on('invoice.paid', (event) => {
  // @ts-expect-error the payload of invoice.paid has no reason
  void event.payload.data.reason;
});

// Without a map every type is accepted and payloads are unknown.
const untyped = createReceiver(options);
untyped.on('anything.at.all', (event) => {
  expectTypeOf(event.type).toEqualTypeOf<'anything.at.all'>();
  expectTypeOf(event.payload).toEqualTypeOf<unknown>();
});
untyped.on('*', (event) => {
  expectTypeOf(event.type).toEqualTypeOf<string>();
});
untyped.on('invoice.*', (event) => {
  expectTypeOf(event.type).toEqualTypeOf<`invoice.${string}`>();
});
