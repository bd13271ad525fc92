import type { StoredJob } from '@hookguard/core';
import { html, type SafeHtml } from '../safe-html.js';
import { formatTime } from './format.js';

/** What the dead-letters page shows. */
export type DeadLettersView = {
  base: string;
  /** `undefined` in inline mode (no queue). */
  jobs: StoredJob[] | undefined;
  readOnly: boolean;
  csrf: string | undefined;
  /** The outcome of the last replay, from the redirect's query string. */
  replayed: { count: number; missed: number } | undefined;
};

/** The `main` of the dead-letters page: each dead letter with its error and attempts, and replay buttons. */
export function deadLettersMain(view: DeadLettersView): SafeHtml {
  const { base, jobs } = view;
  if (jobs === undefined) {
    return html`<p class="notice">Inline mode keeps no dead letters: handlers run inside the request and the provider retries. Queued mode (<code>queue</code> in <code>createReceiver</code>) keeps them for replay.</p>`;
  }
  const flash =
    view.replayed === undefined
      ? ''
      : html`<p class="notice" role="status" data-testid="replayed">Replayed ${view.replayed.count} event(s)${view.replayed.missed > 0 ? html`; ${view.replayed.missed} no longer kept` : ''}.</p>`;
  const rows = jobs.map(
    (job) => html`<tr data-key="${job.event.key}">
${view.readOnly ? '' : html`<td><input type="checkbox" name="key" value="${job.event.key}" aria-label="select ${job.event.id}"></td>`}
<td class="time">${job.updatedAt === undefined ? '—' : formatTime(job.updatedAt)}</td><td><code>${job.event.type}</code></td><td><code>${job.event.id}</code></td>
<td>${job.attempts}</td><td class="err">${job.lastError ?? ''}</td>
${view.readOnly ? '' : html`<td><button name="one" value="${job.event.key}">Replay</button></td>`}</tr>`,
  );
  const table = html`<table><thead><tr>${view.readOnly ? '' : html`<th><input type="checkbox" data-select-all aria-label="select all"></th>`}<th>Dead since (UTC)</th><th>Type</th><th>Event id</th><th>Attempts</th><th>Last error</th>${view.readOnly ? '' : html`<th></th>`}</tr></thead>
<tbody id="dead-letters">${jobs.length === 0 ? html`<tr><td colspan="7" class="muted">No dead letters.</td></tr>` : rows}</tbody></table>`;
  if (view.readOnly) return html`${flash}<h2>Dead letters (${jobs.length})</h2>${table}`;
  return html`${flash}<h2>Dead letters (${jobs.length})</h2>
<form method="post" action="${base}/replay"><input type="hidden" name="csrf" value="${view.csrf ?? ''}">
<div class="filters"><button type="submit" name="selected" value="1">Replay selected</button>
<button type="submit" name="all" value="1" class="primary" data-confirm="Replay every dead letter?"${jobs.length === 0 ? html` disabled` : ''}>Replay all</button></div>
${table}</form>`;
}
