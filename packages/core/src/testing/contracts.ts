// The suites that register Vitest tests. Kept apart from `@hookguard/core/testing` so importing a
// signer never loads vitest (issue: signers failed with ERR_MODULE_NOT_FOUND under node:test and jest).
export { describeStoreContract, type StoreContractOptions, type StoreHarness } from './store-contract.js';
export { describeQueueContract, type QueueContractOptions, type QueueHarness, type QueueHarnessTransaction } from './queue-contract.js';
export { describeDeliveryLogContract, type DeliveryLogContractOptions, type DeliveryLogHarness } from '../delivery-log/delivery-log-contract.js';
