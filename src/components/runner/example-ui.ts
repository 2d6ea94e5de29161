// The Run, Edit and Reset buttons of an embedded example. Loaded on first use, never at page
// load: the page's inline bootstrap imports this module when a button is pressed.
import { imageDataUrl, imagePlaceholder, parseImageRecord } from '../../lib/rich-output.ts';

export const TIME_LIMIT_MS = 5000;

interface State {
  worker?: Worker;
  /** The time limit of the run in progress. */
  timer?: ReturnType<typeof setTimeout>;
  editor?: HTMLTextAreaElement;
}
const states = new WeakMap<HTMLElement, State>();

function original(fig: HTMLElement): string {
  return (fig.querySelector('template.example-src') as HTMLTemplateElement).content.textContent ?? '';
}

function setStatus(fig: HTMLElement, text: string, kind: 'running' | 'ok' | 'error') {
  const s = fig.querySelector('.example-status') as HTMLElement;
  s.textContent = text;
  s.dataset.kind = kind;
}

// #region rich-output
/** Output text with image records replaced by placeholders; each record's picture goes to `media`. */
function renderChunk(text: string, media: HTMLElement): string {
  return text
    .split('\n')
    .map((line) => {
      const img = parseImageRecord(line);
      if (!img) return line;
      const el = document.createElement('img');
      el.className = 'example-image';
      el.src = imageDataUrl(img);
      el.alt = img.alt;
      media.append(el);
      return imagePlaceholder(img);
    })
    .join('\n');
}

function builtMedia(fig: HTMLElement): Node[] {
  const t = fig.querySelector('template.example-built-media') as HTMLTemplateElement | null;
  return t ? Array.from(t.content.cloneNode(true).childNodes) : [];
}
// #endregion rich-output

/** Ends the run in progress, if any, and its time limit with it. */
function stop(st: State) {
  clearTimeout(st.timer);
  st.worker?.terminate();
  st.timer = st.worker = undefined;
}

// #region run
function run(fig: HTMLElement, st: State) {
  stop(st);
  const out = fig.querySelector('.example-output code') as HTMLElement;
  const label = fig.querySelector('.example-output-label') as HTMLElement;
  const media = fig.querySelector('.example-media') as HTMLElement;
  out.textContent = '';
  media.replaceChildren();
  label.textContent = 'Output (this run)';
  setStatus(fig, 'Running…', 'running');
  const started = performance.now();
  const worker = new Worker('/runner/worker.js', { type: 'module' });
  st.worker = worker;
  // Each run owns its timer; a new run or a reset clears it (stop), so only this run can time out.
  st.timer = setTimeout(() => {
    if (st.worker !== worker) return;
    stop(st);
    setStatus(fig, `Stopped: the example ran longer than ${TIME_LIMIT_MS / 1000} s.`, 'error');
  }, TIME_LIMIT_MS);
  worker.onmessage = (e: MessageEvent<{ type: string; text?: string; stream?: string }>) => {
    if (st.worker !== worker) return; // a message a stopped run had already sent
    const m = e.data;
    if (m.type === 'out') {
      const span = document.createElement('span');
      if (m.stream === 'stderr') span.className = 'stderr';
      span.textContent = renderChunk(m.text ?? '', media);
      out.append(span);
      return;
    }
    stop(st);
    if (m.type === 'done') setStatus(fig, `Finished in ${Math.round(performance.now() - started)} ms.`, 'ok');
    else setStatus(fig, `Error: ${m.text}`, 'error');
  };
  worker.onerror = (e) => {
    if (st.worker !== worker) return;
    stop(st);
    setStatus(fig, `Error: ${e.message || 'the example could not start'}`, 'error');
  };
  // Unedited, the example runs as built (no TypeScript to strip in the browser).
  const code = st.editor ? st.editor.value : original(fig);
  worker.postMessage({ code, example: code === original(fig) ? fig.dataset.example : undefined });
}
// #endregion run

function edit(fig: HTMLElement, st: State) {
  if (st.editor) return st.editor.focus();
  const code = fig.querySelector('.example-code') as HTMLElement;
  const editor = document.createElement('textarea');
  editor.className = 'example-editor';
  editor.spellcheck = false;
  editor.value = original(fig);
  editor.rows = Math.min(40, editor.value.split('\n').length + 1);
  editor.setAttribute('aria-label', 'Example source, editable');
  code.hidden = true;
  code.after(editor);
  st.editor = editor;
  (fig.querySelector('[data-example-action="reset"]') as HTMLElement).hidden = false;
  editor.focus();
}

function reset(fig: HTMLElement, st: State) {
  stop(st);
  st.editor?.remove();
  st.editor = undefined;
  (fig.querySelector('.example-code') as HTMLElement).hidden = false;
  (fig.querySelector('[data-example-action="reset"]') as HTMLElement).hidden = true;
  const out = fig.querySelector('.example-output code') as HTMLElement;
  out.textContent = (fig.querySelector('template.example-built-output') as HTMLTemplateElement).content.textContent ?? '';
  (fig.querySelector('.example-media') as HTMLElement).replaceChildren(...builtMedia(fig));
  (fig.querySelector('.example-output-label') as HTMLElement).textContent = 'Output (recorded at build)';
  setStatus(fig, 'Reset to the original source.', 'ok');
}

export function handle(action: string, fig: HTMLElement) {
  let st = states.get(fig);
  if (!st) states.set(fig, (st = {}));
  if (action === 'run') run(fig, st);
  else if (action === 'edit') edit(fig, st);
  else if (action === 'reset') reset(fig, st);
}
