import type { ReceiveOutcome } from '@hookguard/core';
import type { DemoResult } from './run-demo.js';

const OUTCOME_ORDER: readonly ReceiveOutcome[] = ['processed', 'queued', 'duplicate', 'in_progress', 'failed', 'rejected', 'unavailable', 'ignored', 'dead_lettered', 'handshake'];

/** The run's header line: what ran against what. */
export function formatHeader(options: DemoResult['options']): string {
  const without = options.once ? '' : ', replies WITHOUT ctx.once';
  const mode = options.queue === 'none' ? 'inline mode' : `queued mode on ${options.queue === 'bullmq' ? 'BullMQ' : 'pg-boss'}`;
  return `hookguard mail demo: ${options.events} events, ${options.framework} app, ${options.store} store, ${mode}, seed ${options.seed}${without}`;
}

/** The final table and the verdict line. */
export function formatReport(result: DemoResult): string {
  const { provider } = result;
  const rows: [string, string | number][] = [
    ['events sent', provider.eventsSent],
    ['deliveries made', provider.deliveries],
    ['  retries', provider.retries],
    ['  forged (bad signature)', provider.forgedSent],
    ['duplicates skipped (200 duplicate)', provider.duplicates],
    ['in-progress answers (409)', provider.inProgress],
    ['handler failures (500)', provider.handlerFailures],
    ['answers lost / timed out', `${provider.droppedResponses} / ${provider.timeouts}`],
    ['forged deliveries rejected (401)', `${provider.forgedRejected} / ${provider.forgedSent}`],
    ['replies sent', result.repliesSent],
    ['  stored replies reused by ctx.once', result.repliesReused],
  ];
  if (provider.otherErrors > 0) rows.push(['other errors', provider.otherErrors]);
  if (provider.gaveUp > 0) rows.push(['deliveries given up', provider.gaveUp]);
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const outcomes = OUTCOME_ORDER.filter((outcome) => (result.outcomes[outcome] ?? 0) > 0)
    .map((outcome) => `${outcome} ${result.outcomes[outcome]}`)
    .join(' · ');
  const { everyEventHandled, noReplySentTwice, forgedRejected } = result.checks;
  const failed = [everyEventHandled, noReplySentTwice, forgedRejected].filter((check) => !check.ok);
  const verdict = result.ok
    ? `verdict: PASS: ${everyEventHandled.summary}; ${noReplySentTwice.summary}`
    : `verdict: FAIL: ${failed.map((check) => check.summary).join('; ')}`;
  return [
    ...rows.map(([label, value]) => `  ${label.padEnd(width, ' ')}${String(value).padStart(8)}`),
    '',
    `  receiver outcomes: ${outcomes || 'none'}`,
    `  ${forgedRejected.summary}; finished in ${(result.durationMs / 1000).toFixed(1)} s`,
    '',
    `${verdict}`,
    `acknowledgement: p50 ${result.acknowledgement.p50Ms} ms, p99 ${result.acknowledgement.p99Ms} ms (the provider waits ${'1 000'} ms before it retries)`,
  ].join('\n');
}
