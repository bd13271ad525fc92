import type { LogFields, Logger, QueueWorker } from '@hookguard/core';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { expect } from 'vitest';
import { until } from './until.js';

/** A TCP server on loopback that takes connections and never answers, as a stalled Redis or PostgreSQL does. */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => void sockets.add(socket.on('error', () => undefined)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A logger that keeps its warnings. */
export function warningsKept(): { logger: Logger; warnings: { fields: LogFields; message: string }[] } {
  const warnings: { fields: LogFields; message: string }[] = [];
  return { warnings, logger: { warn: (fields, message) => void warnings.push({ fields, message }), error: () => undefined } };
}

/**
 * Starts a worker on a queue whose backend never answers and checks that, still pending, it says
 * so at least twice (`ERR_HOOKGUARD_QUEUE_UNAVAILABLE`, the time waited growing). Returns the
 * pending start (in an object: an async function's returned promise would be awaited), which
 * settles once the backend's connections are cut.
 */
export async function expectStartSaysItWaits(
  start: () => Promise<QueueWorker>,
  warnings: { fields: LogFields; message: string }[],
  expected: { queue: 'bullmq' | 'pg-boss'; backend: 'Redis' | 'PostgreSQL' },
): Promise<{ working: Promise<QueueWorker> }> {
  let settled = false;
  const working = start().finally(() => {
    settled = true;
  });
  working.catch(() => undefined);
  await until(() => warnings.length >= 2);
  expect(settled).toBe(false);
  const waiting = new RegExp(`has waited \\d+ ms for ${expected.backend} to answer and is not running yet; it keeps waiting`);
  expect(warnings.slice(0, 2)).toEqual([
    { fields: { code: 'ERR_HOOKGUARD_QUEUE_UNAVAILABLE', queue: expected.queue, waitedMs: expect.any(Number) }, message: expect.stringMatching(waiting) },
    { fields: { code: 'ERR_HOOKGUARD_QUEUE_UNAVAILABLE', queue: expected.queue, waitedMs: expect.any(Number) }, message: expect.stringMatching(waiting) },
  ]);
  expect(warnings[1]!.fields['waitedMs']).toBeGreaterThan(warnings[0]!.fields['waitedMs'] as number);
  return { working };
}
