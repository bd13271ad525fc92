import type { DeliveryLog } from '../delivery-log/delivery-log.js';
import { WebhookError } from '../errors/webhook-error.js';
import type { ReceiverOptions } from './types.js';

/** Validates the `deliveryLog` option: absent (no log), or an object implementing {@link DeliveryLog}. */
export function resolveDeliveryLog(options: ReceiverOptions): { deliveryLog: DeliveryLog | undefined } {
  const { deliveryLog } = options;
  if (deliveryLog === undefined) return { deliveryLog };
  for (const method of ['record', 'list', 'get', 'counts', 'flush'] as const) {
    if (typeof (deliveryLog as Partial<DeliveryLog> | null)?.[method] !== 'function') {
      throw new WebhookError(
        'ERR_HOOKGUARD_INVALID_OPTIONS',
        `createReceiver(): deliveryLog has no ${method}() method; pass a DeliveryLog such as new MemoryDeliveryLog() (@hookguard/core), RedisDeliveryLog (@hookguard/redis) or PostgresDeliveryLog (@hookguard/postgres).`,
      );
    }
  }
  return { deliveryLog };
}
