import { DELIVERY_LOG_OUTCOMES, type DeliveryLogPage, type DeliveryLogQuery, type OutcomeCounts } from '@hookguard/core';
import { html, type SafeHtml } from '../safe-html.js';
import { formatDuration, formatTime, outcomeBadge, queryString, shorten } from './format.js';

/** What the deliveries page shows. */
export type DeliveriesView = {
  base: string;
  query: DeliveryLogQuery;
  page: DeliveryLogPage;
  counts: OutcomeCounts;
  /** `false` when the receiver keeps no delivery log. */
  logged: boolean;
};

/** The `main` of the deliveries page: counts of the last hour, filters, the newest records, a pager. */
export function deliveriesMain(view: DeliveriesView, live: number): SafeHtml {
  const { base, query } = view;
  if (!view.logged) {
    return html`<p class="notice">This receiver keeps no delivery log: pass <code>deliveryLog</code> to <code>createReceiver</code> (see docs/inspector.md).</p>`;
  }
  return html`<form class="filters" method="get" action="${base}/">
<label>Outcome<select name="outcome"><option value="">any</option>${DELIVERY_LOG_OUTCOMES.map(
    (outcome) => html`<option value="${outcome}"${query.outcome === outcome ? html` selected` : ''}>${outcome}</option>`,
  )}</select></label>
<label>Type<input name="type" value="${query.type ?? ''}" placeholder="message.* or exact"></label>
<label>Event id or key<input name="id" value="${query.id ?? ''}"></label>
<button type="submit">Filter</button>${query.outcome !== undefined || query.type !== undefined || query.id !== undefined ? html` <a href="${base}/">clear</a>` : ''}
</form>
<div id="live"${live > 0 ? html` data-live="${live}"` : ''}>${deliveriesLive(view)}</div>`;
}

/** The part of the deliveries page that live refresh replaces: counts, rows, pager. */
export function deliveriesLive(view: DeliveriesView): SafeHtml {
  const { base, query, page } = view;
  const filters = { outcome: query.outcome, type: query.type, id: query.id };
  const counted = DELIVERY_LOG_OUTCOMES.filter((outcome) => (view.counts[outcome] ?? 0) > 0);
  return html`<h2>Last hour</h2>
<div class="counts" data-testid="counts">${
    counted.length === 0
      ? html`<span class="muted">no deliveries</span>`
      : counted.map((outcome) => html`<a href="${base}/${queryString({ outcome })}" data-outcome="${outcome}">${outcomeBadge(outcome)}<span class="n">${view.counts[outcome] ?? 0}</span></a>`)
  }</div>
<table><thead><tr><th>Time (UTC)</th><th>Outcome</th><th>Status</th><th>Type</th><th>Event id</th><th>Attempt</th><th>Duration</th><th>Source</th><th>Error</th></tr></thead>
<tbody id="deliveries">${
    page.records.length === 0
      ? html`<tr><td colspan="9" class="muted">Nothing logged${query.outcome !== undefined || query.type !== undefined || query.id !== undefined ? ' matches these filters' : ' yet'}.</td></tr>`
      : page.records.map(
          (record) => html`<tr data-seq="${record.seq}" data-outcome="${record.outcome}">
<td class="time"><a href="${base}/deliveries/${encodeURIComponent(record.seq)}">${formatTime(record.at)}</a></td>
<td>${outcomeBadge(record.outcome)}</td>
<td>${record.status ?? '—'}</td><td><code>${record.type ?? '—'}</code></td>
<td><a href="${base}/deliveries/${encodeURIComponent(record.seq)}"><code>${record.id ?? '—'}</code></a></td>
<td>${record.attempt ?? '—'}</td><td>${formatDuration(record.durationMs)}</td><td>${record.source}</td>
<td class="err">${record.errorCode === null ? '' : html`<code>${record.errorCode}</code> `}${shorten(record.errorMessage ?? '')}</td></tr>`,
        )
  }</tbody></table>
<div class="pager">${query.before === undefined ? html`<span class="live">Newest first; refreshes live.</span>` : html`<a href="${base}/${queryString(filters)}">Newest</a>`}${
    page.next === undefined ? '' : html`<a href="${base}/${queryString({ ...filters, before: page.next })}" rel="next">Older</a>`
  }</div>`;
}
