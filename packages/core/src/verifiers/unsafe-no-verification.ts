import { asWebhookHeaders } from '../http/headers.js';
import { decodeJsonBody, readString } from './decode-body.js';
import { parseUnixSeconds } from './timestamp.js';
import type { VerifiedDelivery, Verifier, VerifyInput } from './verifier.js';

/** A verifier that checks nothing; see {@link unsafeNoVerification}. */
export type UnsafeVerifier = Verifier & { readonly unsafe: true };

/**
 * Accepts every request without checking anything: for local experiments only, never for an
 * endpoint anyone else can reach (anyone could then forge events and mark ids as handled). The
 * receiver warns once when it is given one. The id is the `webhook-id` header or the body's `id`,
 * the type the body's `type`, the timestamp `webhook-timestamp` when it is a Unix time.
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ verifier: unsafeNoVerification() });
 * ```
 */
export function unsafeNoVerification(): UnsafeVerifier {
  return {
    name: 'unsafe-no-verification',
    unsafe: true,
    verify(input: VerifyInput): Promise<VerifiedDelivery> {
      let headers;
      try {
        headers = asWebhookHeaders(input.headers);
      } catch (error) {
        return Promise.reject(error);
      }
      const { payload, bodyError } = decodeJsonBody(input.rawBody);
      const header = headers.get('webhook-id');
      const seconds = parseUnixSeconds(headers.get('webhook-timestamp') ?? '');
      const delivery: VerifiedDelivery = {
        id: header === undefined || header.length === 0 ? readString(payload, 'id') : header,
        type: readString(payload, 'type'),
        timestamp: seconds === undefined ? undefined : new Date(seconds * 1000),
        payload,
      };
      if (bodyError !== undefined) delivery.bodyError = bodyError;
      return Promise.resolve(delivery);
    },
  };
}
