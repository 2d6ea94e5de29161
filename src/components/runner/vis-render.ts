// The visualizer's tables as HTML. Shared by the build (the first frame, so the page shows
// the rings before any script loads) and the browser (every later frame).
import type { RingView } from '../../lib/conformance/ring-view.ts';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function renderView(view: RingView, changed: ReadonlySet<string> = new Set()): string {
  const tables = view.tables
    .map((t, ti) => {
      const head = `<tr>${t.columns.map((c) => `<th scope="col">${esc(c)}</th>`).join('')}</tr>`;
      const body = t.rows
        .map((r, ri) => `<tr>${r.map((cell, ci) => `<td${changed.has(`${ti}/${ri}/${ci}`) ? ' class="vis-changed"' : ''}>${esc(cell)}</td>`).join('')}</tr>`)
        .join('');
      return `<div class="vis-table"><table><caption>${esc(t.title)}</caption><thead>${head}</thead><tbody>${body}</tbody></table></div>`;
    })
    .join('');
  const notes = view.notes.length ? `<ul class="vis-notes">${view.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '';
  return tables + notes;
}
