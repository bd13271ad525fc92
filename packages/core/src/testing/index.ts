export { describeStoreContract, type StoreContractOptions, type StoreHarness } from './store-contract.js';
