export { describeStoreContract, type StoreContractOptions, type StoreHarness } from './store-contract.js';
export { signGitHub, signShopify, signSlack, signStandardWebhooks, signStripe, type SignerBody, type SignGitHubOptions, type SignShopifyOptions, type SignSlackOptions, type SignStandardWebhooksOptions, type SignStripeOptions } from './signers.js';
