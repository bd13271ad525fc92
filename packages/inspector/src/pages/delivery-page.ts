import type { DeliveryLogRecord } from '@hookguard/core';
import { html, type SafeHtml } from '../safe-html.js';
import { formatDuration, formatTime, outcomeBadge } from './format.js';

/** What a delivery's detail page shows. */
export type DeliveryView = {
  base: string;
  record: DeliveryLogRecord;
  /** The redacted payload as JSON text, or why there is none. */
  payload: { json: string; from: 'log' | 'queue' } | { missing: string };
  /** The job the queue keeps for this key, in queued mode. */
  job: { state: string; attempts: number; lastError: string | undefined } | undefined;
  readOnly: boolean;
  csrf: string | undefined;
};

/** The `main` of a delivery's detail page. */
export function deliveryMain(view: DeliveryView): SafeHtml {
  const { record, base, job } = view;
  const canReplay = !view.readOnly && job !== undefined && (job.state === 'dead' || job.state === 'completed') && record.key !== null;
  return html`<p><a href="${base}/">← Deliveries</a></p>
<h2>${outcomeBadge(record.outcome)} <code>${record.type ?? 'unknown type'}</code> · <code>${record.id ?? 'no id'}</code></h2>
<dl>
<dt>Time (UTC)</dt><dd>${formatTime(record.at)}</dd>
<dt>Namespace</dt><dd><code>${record.namespace}</code></dd>
<dt>Dedup key</dt><dd><code>${record.key ?? '—'}</code></dd>
<dt>Source</dt><dd>${record.source === 'receive' ? 'HTTP delivery' : 'queued job run'}</dd>
<dt>Status</dt><dd>${record.status ?? '—'}</dd>
<dt>Attempt</dt><dd>${record.attempt ?? '—'}</dd>
<dt>Duration</dt><dd>${formatDuration(record.durationMs)}</dd>
<dt>Duplicate</dt><dd>${record.duplicate ? 'yes' : 'no'}</dd>
<dt>Error</dt><dd>${record.errorCode === null ? '—' : html`<code>${record.errorCode}</code> <span data-testid="error-message">${record.errorMessage ?? ''}</span>`}</dd>
${job === undefined ? '' : html`<dt>Queue</dt><dd>${job.state}, ${job.attempts} attempt(s)${job.lastError === undefined ? '' : html` · last error: <span>${job.lastError}</span>`}</dd>`}
</dl>
${canReplay ? html`<form method="post" action="${base}/replay"><input type="hidden" name="csrf" value="${view.csrf ?? ''}"><input type="hidden" name="back" value="delivery"><button class="primary" name="one" value="${record.key ?? ''}">Replay</button></form>` : ''}
<h2>Payload</h2>
${'json' in view.payload ? html`<p class="muted">Redacted; ${view.payload.from === 'queue' ? 'the verified event the queue keeps' : 'as the delivery log kept it'}.</p><pre data-testid="payload">${view.payload.json}</pre>` : html`<p class="notice">${view.payload.missing}</p>`}`;
}
