// Model time for cameras and the reverse-gear timeline. The reference implementation has no
// real time, so a sensor's frames, a guest's resume and the gear signal are tasks on one
// clock that tests and examples move forward: advance() runs every task that falls due, in
// time order, with `now` set to the task's own time, so a frame produced at 300 ms carries
// 300 ms however far the caller jumps.

// #region clock
interface Task {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
  cancelled: boolean;
}

export class MediaClock {
  private t = 0;
  private seq = 0;
  private tasks: Task[] = [];

  /** Microseconds since the clock was made. */
  get now(): number {
    return this.t;
  }

  /** Runs `run` when the clock reaches `at` (now, at the earliest); returns a cancel function. */
  at(at: number, run: () => void): () => void {
    const task: Task = { at: Math.max(at, this.t), seq: this.seq++, run, cancelled: false };
    this.tasks.push(task);
    this.tasks.sort((a, b) => a.at - b.at || a.seq - b.seq);
    return () => void (task.cancelled = true);
  }

  /** Moves time forward by `us`, running due tasks in order (tasks may schedule more). */
  advance(us: number): void {
    if (!Number.isFinite(us) || us < 0) throw new RangeError('advance: a non-negative time in microseconds');
    const end = this.t + us;
    for (;;) {
      const next = this.tasks[0];
      if (!next || next.at > end) break;
      this.tasks.shift();
      if (next.cancelled) continue;
      this.t = next.at;
      next.run();
    }
    this.t = end;
  }

  /** Tasks still waiting. */
  get pending(): number {
    return this.tasks.filter((t) => !t.cancelled).length;
  }
}
// #endregion clock
