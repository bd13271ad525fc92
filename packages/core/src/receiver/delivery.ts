import type { WebhookHeaders } from '../http/headers.js';
import type { ClaimOptions } from '../store/dedup-store.js';
import type { Route } from './router.js';
import type { DeliveryReport, WebhookEvent } from './types.js';

/** What one delivery learned on its way through the pipeline, for the report. */
export type Trace = Omit<DeliveryReport, 'outcome' | 'status' | 'durationMs' | 'error'>;

/** A new trace, with nothing learned yet. */
export function emptyTrace(): Trace {
  return { id: undefined, type: undefined, key: undefined, attempt: undefined, probable: false, dedupSkipped: false, leaseLost: false };
}

/**
 * A verified delivery with handlers to run: what acceptance hands to the mode that processes it
 * (inline, transactional or queued).
 */
export type AcceptedDelivery = {
  event: WebhookEvent;
  /** Another name exact registrations match (GitHub's `issues` for `issues.opened`), if the scheme has one. */
  alias: string | undefined;
  routes: readonly Route[];
  /** The dedup key, namespaced. */
  key: string;
  claimOptions: ClaimOptions;
  headers: WebhookHeaders;
  trace: Trace;
  /** `true` when a middleware passed its route as the handler (`receive(…, { handler })`). */
  perCallHandler: boolean;
};
