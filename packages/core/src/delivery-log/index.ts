export {
  DELIVERY_LOG_OUTCOMES,
  matchesQuery,
  pageLimit,
  type DeliveryLog,
  type DeliveryLogEntry,
  type DeliveryLogOutcome,
  type DeliveryLogPage,
  type DeliveryLogQuery,
  type DeliveryLogRecord,
  type OutcomeCounts,
} from './delivery-log.js';
export { MemoryDeliveryLog, type MemoryDeliveryLogOptions } from './memory-delivery-log.js';
export { WriteBuffer, type FlushOptions, type WriteBufferOptions } from './write-buffer.js';
export { REDACTED, redactMessage, redactSecrets, type Redactor } from './redact.js';
export { STORED_DELIVERY_LOG_OPTIONS, storedPayload, type StoredDeliveryLogOptions } from './stored-payload.js';
