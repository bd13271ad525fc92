import { refuseUnknownOptions, type OptionNames } from '../errors/unknown-options.js';
import { WebhookError } from '../errors/webhook-error.js';
import type { RetryPolicy, WebhookQueue } from '../queue/webhook-queue.js';
import type { ReceiverOptions } from './types.js';

/** About a day of retries: 1 s doubling to 2 h, 25 attempts in all (24-26 h with jitter). */
export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({ attempts: 25, minDelayMs: 1_000, maxDelayMs: 7_200_000 });

const MAX_TIMER_MS = 2 ** 31 - 1;
const RETRY_OPTIONS: OptionNames<RetryPolicy> = { attempts: true, minDelayMs: true, maxDelayMs: true };

function invalid(message: string): WebhookError {
  return new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', message);
}

function integerWithin(name: string, value: unknown, fallback: number, minimum: number, maximum: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum || value > maximum) {
    throw invalid(`createReceiver(): ${name} must be an integer from ${minimum} to ${maximum}; received ${String(value)}.`);
  }
  return value;
}

/** Validates the queued-mode options (`queue`, `retry`) and applies their defaults. */
export function resolveQueueOptions(options: ReceiverOptions): { queue: WebhookQueue | undefined; retry: RetryPolicy } {
  const { queue } = options;
  if (queue !== undefined) {
    for (const method of ['enqueue', 'work', 'find', 'deadLetters', 'replay'] as const) {
      if (typeof (queue as Partial<WebhookQueue>)[method] !== 'function') {
        throw invalid(`createReceiver(): the queue has no ${method}() method; queues implement the WebhookQueue interface (@hookguard/bullmq, @hookguard/pg-boss).`);
      }
    }
  }
  const given = options.retry ?? {};
  if (typeof given !== 'object' || given === null) throw invalid(`createReceiver(): retry must be an object such as { attempts: 10 }; received ${String(given)}.`);
  refuseUnknownOptions('createReceiver(): retry', given, RETRY_OPTIONS);
  const minDelayMs = integerWithin('retry.minDelayMs', given.minDelayMs, DEFAULT_RETRY.minDelayMs, 1, MAX_TIMER_MS);
  const maxDelayMs = integerWithin('retry.maxDelayMs', given.maxDelayMs, Math.max(minDelayMs, DEFAULT_RETRY.maxDelayMs), 1, MAX_TIMER_MS);
  if (maxDelayMs < minDelayMs) {
    throw invalid(`createReceiver(): retry.maxDelayMs (${maxDelayMs}) is below retry.minDelayMs (${minDelayMs}).`);
  }
  const attempts = integerWithin('retry.attempts', given.attempts, DEFAULT_RETRY.attempts, 1, 1_000);
  return { queue, retry: { attempts, minDelayMs, maxDelayMs } };
}
