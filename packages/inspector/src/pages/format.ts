import { html, type SafeHtml } from '../safe-html.js';

/** An outcome as a colored badge. */
export function outcomeBadge(outcome: string): SafeHtml {
  return html`<span class="badge o-${outcome.replace(/[^a-z_]/g, '')}">${outcome.replace('_', ' ')}</span>`;
}

/** An ISO-like time with milliseconds, in UTC so every viewer reads the same. */
export function formatTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').replace('Z', '');
}

/** A message cut to `length` characters, for a table cell (the detail page shows it whole). */
export function shorten(text: string, length = 140): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

/** Milliseconds with a sensible precision. */
export function formatDuration(ms: number): string {
  return ms < 10 && !Number.isInteger(ms) ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** A query string from the filters that are set. */
export function queryString(values: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value !== undefined && value !== '') params.set(name, value);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
