import { createReceiver, silentLogger, standardWebhooks, unsafeNoVerification, type Receiver } from '@hookguard/core';
import type { ConformanceCase } from './cases.js';

/**
 * A silent receiver with the verifier and limits a conformance case scripts, verifying with
 * `secret`: the same receiver in process (conformance.test.ts) and inside each runtime
 * (runtimes/app/scripted-app.ts). The handler is the caller's to add.
 */
export function caseReceiver(spec: ConformanceCase['receiver'], secret: string): Receiver {
  const verifier = spec?.verifier === 'unsafe-no-verification' ? unsafeNoVerification() : standardWebhooks({ secret });
  const { maxBodyBytes, bodyTimeoutMs } = spec ?? {};
  return createReceiver({
    verifier,
    logger: silentLogger,
    ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
    ...(bodyTimeoutMs === undefined ? {} : { bodyTimeoutMs }),
  });
}
