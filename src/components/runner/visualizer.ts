// The virtqueue visualizer's buttons: step a conformance vector case through the reference
// implementation and redraw guest memory after each step, marking what changed. Loaded on
// first use by the inline bootstrap in Visualizer.astro.
import { changedCells, ringView, type RingView } from '../../lib/conformance/ring-view.ts';
import { StepFailure, VectorSession } from '../../lib/conformance/run-vector.ts';
import type { VectorCase } from '../../lib/conformance/vector-schema.ts';
import { renderView } from './vis-render.ts';

interface State {
  readonly vc: VectorCase;
  session: VectorSession;
  view: RingView;
}
const states = new WeakMap<HTMLElement, State>();

function stateOf(fig: HTMLElement): State {
  let st = states.get(fig);
  if (!st) {
    const vc = JSON.parse((fig.querySelector('script.vis-case') as HTMLScriptElement).textContent!) as VectorCase;
    const session = new VectorSession(vc);
    st = { vc, session, view: ringView(session) };
    states.set(fig, st);
  }
  return st;
}

/** Runs the next step; a step that breaks the vector is shown, not thrown. */
function advance(st: State): string {
  const op = st.vc.steps[st.session.next].op;
  try {
    return `${op}: ${st.session.step()}`;
  } catch (e) {
    return `${op}: ${e instanceof StepFailure ? 'differs from the vector: ' : 'failed: '}${(e as Error).message}`;
  }
}

function draw(fig: HTMLElement, st: State, before: RingView | null, caption: string) {
  st.view = ringView(st.session);
  (fig.querySelector('.vis-tables') as HTMLElement).innerHTML = renderView(st.view, changedCells(before, st.view));
  (fig.querySelector('.vis-caption') as HTMLElement).textContent = caption;
  const n = st.session.next;
  (fig.querySelector('.vis-status') as HTMLElement).textContent = `Step ${n} of ${st.vc.steps.length}`;
  fig.querySelectorAll('.vis-steps li').forEach((li, i) => li.classList.toggle('vis-current', i === n - 1));
  (fig.querySelector('[data-vis-action="step"]') as HTMLButtonElement).disabled = st.session.done;
  (fig.querySelector('[data-vis-action="back"]') as HTMLButtonElement).disabled = n === 0;
}

export function handle(action: string, fig: HTMLElement): void {
  const st = stateOf(fig);
  if (action === 'step' && !st.session.done) {
    const before = st.view;
    draw(fig, st, before, advance(st));
  } else if (action === 'back' || action === 'reset') {
    // Replay from the start: the reference code has no undo, and a replay is exact.
    const target = action === 'back' ? Math.max(0, st.session.next - 1) : 0;
    st.session = new VectorSession(st.vc);
    let caption = 'Initial state: the driver has set up the queue.';
    let before: RingView | null = null;
    while (st.session.next < target) {
      before = ringView(st.session);
      caption = advance(st);
    }
    draw(fig, st, before, caption);
  }
}
