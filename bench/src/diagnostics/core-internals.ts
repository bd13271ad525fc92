/**
 * Internal modules of @hookguard/core that the diagnostics time alone, loaded from the built
 * `dist/` like everything else the benchmarks measure (typed from their source).
 */
const dist = (path: string): string => new URL(`../../../packages/core/dist/${path}`, import.meta.url).href;

export const { cryptoBackend } = (await import(dist('crypto/node.js'))) as typeof import('../../../packages/core/src/crypto/node.js');
export const { readBody } = (await import(dist('http/read-body.js'))) as typeof import('../../../packages/core/src/http/read-body.js');
export const { decodeJsonBody } = (await import(dist('verifiers/decode-body.js'))) as typeof import('../../../packages/core/src/verifiers/decode-body.js');
export const { watchDeadline, unwatchDeadline, deadlineClock } = (await import(dist('http/body-deadlines.js'))) as typeof import('../../../packages/core/src/http/body-deadlines.js');
export const { LeaseHeartbeat } = (await import(dist('receiver/lease-heartbeat.js'))) as typeof import('../../../packages/core/src/receiver/lease-heartbeat.js');
