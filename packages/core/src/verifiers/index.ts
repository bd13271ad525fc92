export type { Verifier, VerifyInput, VerifiedDelivery } from './verifier.js';
