// Inlined into each page under the response's CSP nonce: nothing is loaded from another host, and
// no build step is needed to serve the page.

export const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#5b6470;--bg:#fff;--panel:#f5f7f9;--line:#d9dee3;--accent:#2357d9;
--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--info:#5a32a3}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#8d96a0;--bg:#0d1117;--panel:#161b22;--line:#30363d;--accent:#6ea8fe;
--ok:#3fb950;--warn:#d29922;--bad:#f85149;--info:#a371f7}}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;gap:24px;align-items:center;padding:12px 24px;border-bottom:1px solid var(--line);background:var(--panel)}
header h1{font-size:16px;margin:0}header nav a{margin-right:16px}header .ns{color:var(--muted);margin-left:auto}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
main{padding:16px 24px;max-width:1400px}
h2{font-size:15px;margin:8px 0 12px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.03em}
td.err{max-width:420px;overflow-wrap:anywhere;color:var(--muted)}td.time{white-space:nowrap}
code,pre{font:12px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace}
pre{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:12px;overflow:auto;max-height:60vh}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;border:1px solid currentColor}
.o-processed,.o-queued,.o-handshake{color:var(--ok)}.o-duplicate,.o-ignored{color:var(--muted)}
.o-in_progress,.o-retried,.o-unavailable{color:var(--warn)}.o-failed,.o-dead_lettered,.o-rejected{color:var(--bad)}
.counts{display:flex;flex-wrap:wrap;gap:8px;margin:0 0 12px}.counts a{text-decoration:none}
.counts .n{font-weight:700;margin-left:4px}
form.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:end;margin:0 0 12px}
label{display:flex;flex-direction:column;font-size:12px;color:var(--muted);gap:2px}
input,select,button{font:inherit;padding:4px 8px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
button{cursor:pointer;background:var(--panel)}button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
.muted{color:var(--muted)}.notice{padding:8px 12px;border:1px solid var(--line);border-radius:6px;background:var(--panel);margin:0 0 12px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
.pager{margin-top:12px;display:flex;gap:16px}.live{font-size:12px;color:var(--muted)}
`;

export const SCRIPT = `
(() => {
  const live = document.querySelector('[data-live]');
  if (live) {
    const every = Number(live.dataset.live);
    const refresh = async () => {
      if (document.hidden) return;
      try {
        const response = await fetch(location.href, { headers: { 'x-hookguard-fragment': 'live' }, credentials: 'same-origin' });
        if (response.ok) live.innerHTML = await response.text();
      } catch {}
    };
    if (every > 0) setInterval(refresh, every);
  }
  document.addEventListener('change', (event) => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || box.dataset.selectAll === undefined) return;
    for (const item of document.querySelectorAll('input[name="key"]')) item.checked = box.checked;
  });
  document.addEventListener('submit', (event) => {
    const button = event.submitter;
    if (button && button.dataset.confirm && !confirm(button.dataset.confirm)) event.preventDefault();
  });
})();
`;
