// Runner-free helpers for applications' tests (node:test, jest, vitest alike): nothing here may
// import a test runner. The store contract suite, which registers Vitest tests, lives at
// `@hookguard/core/testing/contracts`.
export { signGitHub, signShopify, signSlack, signStandardWebhooks, signStripe, type SignerBody, type SignGitHubOptions, type SignShopifyOptions, type SignSlackOptions, type SignStandardWebhooksOptions, type SignStripeOptions } from './signers.js';
