import { SafeHtml, html } from '../safe-html.js';
import { SCRIPT, STYLE } from './inline-assets.js';

/** What every page needs to render its frame. */
export type PageFrame = {
  title: string;
  /** The mount path, without a trailing slash (`''` at the root). */
  base: string;
  namespace: string;
  nonce: string;
  active: 'deliveries' | 'dead-letters';
};

/** A whole page: the header, the navigation, and `main`. */
export function layout(frame: PageFrame, main: SafeHtml): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin"><title>${frame.title} · hookguard</title>
<style nonce="${frame.nonce}">${rawText(STYLE)}</style></head>
<body><header><h1>hookguard inspector</h1><nav>
<a href="${frame.base}/"${frame.active === 'deliveries' ? html` aria-current="page"` : ''}>Deliveries</a>
<a href="${frame.base}/dead-letters"${frame.active === 'dead-letters' ? html` aria-current="page"` : ''}>Dead letters</a></nav>
<span class="ns">namespace <code>${frame.namespace}</code></span></header>
<main>${main}</main>
<script nonce="${frame.nonce}">${rawText(SCRIPT)}</script></body></html>`.value;
}

function rawText(text: string): SafeHtml {
  // Our own constants, which hold no `</` that could close the element early.
  return new SafeHtml(text);
}
