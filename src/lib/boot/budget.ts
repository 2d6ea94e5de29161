// Boot-time budgets. A platform states its boot plan: the phases from ignition to the first
// images of its guests, each with a duration in model time (milliseconds) and the phases or
// events it waits for, and the driving cases with their budgets (telltales shown after
// ignition, the rear-view image after reverse). The checker schedules every phase at the
// moment its last dependency is met, computes each case's completion time, compares it with
// the case's budget and, for a case over budget, names the phase during which the budget ran
// out. The model assumes that phases of different guests run in parallel (each guest on CPUs
// of its own); contention for shared cores or a shared storage device is not modelled.
//
// The plan is checked by a zod schema whose errors name the field; the cross-checks name the
// field too (an unknown dependency, a dependency cycle with the phases on it).
import { z } from 'zod';

// #region plan-schema
const identifier = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'lower-case letters, digits and "-", starting with a letter');
const ms = z.number({ error: 'a time in milliseconds' }).int('a whole number of milliseconds').nonnegative('a time from 0 ms');

const event = z.object({ id: identifier, atMs: ms }).strict();

const phase = z
  .object({
    id: identifier,
    /** The guest the phase runs in, or "platform" for firmware, hypervisor and host services. */
    guest: identifier,
    what: z.string().min(1, 'a short description'),
    durationMs: ms,
    /** Phases or events this phase waits for; it starts when the last of them is over. */
    after: z.array(identifier).min(1, 'at least one phase or event to start after'),
  })
  .strict();

const bootCase = z
  .object({
    id: identifier,
    title: z.string().min(1, 'a title'),
    /** The event the budget counts from (ignition, reverse). */
    from: identifier,
    /** The phase whose end completes the case. */
    to: identifier,
    budgetMs: ms.refine((v) => v > 0, 'a budget above 0 ms'),
    /** The requirement the budget comes from, e.g. "AVP-MEDIA-35". */
    requirement: z.string().regex(/^AVP-[A-Z]+-\d+$/, 'a requirement ID such as AVP-MEDIA-35').optional(),
  })
  .strict();

export const bootPlanSchema = z
  .object({
    name: z.string().min(1, 'a non-empty plan name'),
    guests: z.array(z.object({ name: identifier, boot: z.enum(['direct-kernel', 'uefi', 'rtos-image']) }).strict()).min(1, 'at least one guest'),
    events: z.array(event).min(1, 'at least one event'),
    phases: z.array(phase).min(1, 'at least one phase'),
    cases: z.array(bootCase).min(1, 'at least one driving case'),
  })
  .strict()
  .superRefine((p, ctx) => {
    for (const issue of crossCheck(p)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  });
// #endregion plan-schema

export type BootPlanInput = z.input<typeof bootPlanSchema>;
export type BootPlan = z.output<typeof bootPlanSchema>;
export type BootPhase = BootPlan['phases'][number];
export type BootCase = BootPlan['cases'][number];

export interface BootIssue {
  /** The field's path, e.g. "phases.3.after.0". */
  path: string;
  message: string;
}

type RawIssue = { path: (string | number)[]; message: string };

// #region cross-checks
function crossCheck(p: BootPlan): RawIssue[] {
  const issues: RawIssue[] = [];
  const names = new Map<string, string>(); // id -> where it was declared
  const declare = (id: string, where: string, path: (string | number)[]) => {
    const first = names.get(id);
    if (first !== undefined) issues.push({ path, message: `"${id}" is already ${first}` });
    else names.set(id, where);
  };
  p.events.forEach((e, i) => declare(e.id, `events.${i}`, ['events', i, 'id']));
  p.phases.forEach((ph, i) => declare(ph.id, `phases.${i}`, ['phases', i, 'id']));

  const guests = new Set(['platform', ...p.guests.map((g) => g.name)]);
  p.guests.forEach((g, i) => {
    if (g.name === 'platform') issues.push({ path: ['guests', i, 'name'], message: '"platform" is reserved for phases of the firmware, hypervisor and host' });
  });
  const events = new Set(p.events.map((e) => e.id));
  const phases = new Map(p.phases.map((ph) => [ph.id, ph]));
  p.phases.forEach((ph, i) => {
    if (!guests.has(ph.guest)) issues.push({ path: ['phases', i, 'guest'], message: `unknown guest "${ph.guest}" (not "platform" and not in guests)` });
    ph.after.forEach((dep, j) => {
      if (dep === ph.id) issues.push({ path: ['phases', i, 'after', j], message: `phase "${ph.id}" cannot wait for itself` });
      else if (!events.has(dep) && !phases.has(dep)) issues.push({ path: ['phases', i, 'after', j], message: `unknown phase or event "${dep}"` });
    });
  });
  p.cases.forEach((c, i) => {
    if (p.cases.findIndex((o) => o.id === c.id) !== i) issues.push({ path: ['cases', i, 'id'], message: `case "${c.id}" is declared twice` });
    if (!events.has(c.from)) issues.push({ path: ['cases', i, 'from'], message: `"${c.from}" is not an event of the plan` });
    if (!phases.has(c.to)) issues.push({ path: ['cases', i, 'to'], message: `"${c.to}" is not a phase of the plan` });
  });
  if (issues.length === 0) {
    const cycle = findCycle(p.phases);
    if (cycle) {
      const i = p.phases.findIndex((ph) => ph.id === cycle[0]);
      issues.push({ path: ['phases', i, 'after'], message: `dependency cycle: ${[...cycle, cycle[0]].join(' → ')}` });
    }
  }
  return issues;
}

/** The phases of one dependency cycle, in dependency order, or null if there is none. */
export function findCycle(phases: readonly Pick<BootPhase, 'id' | 'after'>[]): string[] | null {
  const byId = new Map(phases.map((ph) => [ph.id, ph]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    const s = state.get(id);
    if (s === 'done') return null;
    if (s === 'open') return stack.slice(stack.indexOf(id));
    state.set(id, 'open');
    stack.push(id);
    for (const dep of byId.get(id)!.after) {
      if (!byId.has(dep)) continue; // an event
      const c = visit(dep);
      if (c) return c;
    }
    stack.pop();
    state.set(id, 'done');
    return null;
  };
  const order = new Map(phases.map((ph, i) => [ph.id, i]));
  for (const ph of phases) {
    const c = visit(ph.id);
    if (!c) continue;
    // The stack runs from dependant to dependency; report the order of execution, starting
    // with the phase declared first.
    c.reverse();
    const k = c.reduce((best, id, i) => (order.get(id)! < order.get(c[best])! ? i : best), 0);
    return [...c.slice(k), ...c.slice(0, k)];
  }
  return null;
}
// #endregion cross-checks

/** Checks a plan without raising: the plan, or every issue with its field path. */
export function validateBootPlan(data: unknown): { ok: true; plan: BootPlan } | { ok: false; issues: BootIssue[] } {
  const r = bootPlanSchema.safeParse(data);
  if (r.success) return { ok: true, plan: r.data };
  return {
    ok: false,
    issues: r.error.issues.map((issue) => {
      const path = issue.path.map(String);
      if (issue.code === 'unrecognized_keys') path.push(issue.keys.join(', '));
      return { path: path.join('.') || '(root)', message: issue.message };
    }),
  };
}

export class BootPlanError extends Error {
  readonly issues: BootIssue[];
  constructor(issues: BootIssue[]) {
    super(`bad boot plan: ${issues.map((i) => `field "${i.path}": ${i.message}`).join('; ')}`);
    this.name = 'BootPlanError';
    this.issues = issues;
  }
}

/** Checks a plan; a bad one raises a BootPlanError naming every bad field. */
export function parseBootPlan(data: unknown): BootPlan {
  const r = validateBootPlan(data);
  if (!r.ok) throw new BootPlanError(r.issues);
  return r.plan;
}

export interface ScheduledPhase {
  readonly id: string;
  readonly guest: string;
  readonly what: string;
  readonly startMs: number;
  readonly endMs: number;
  /** The phase or event whose end decided this phase's start (the first of equals, in `after` order). */
  readonly waitedFor: string;
}

export interface CaseResult {
  readonly id: string;
  readonly title: string;
  readonly requirement?: string;
  readonly fromMs: number;
  readonly budgetMs: number;
  /** Time from the case's event to the end of its last phase. */
  readonly completionMs: number;
  readonly withinBudget: boolean;
  /** budgetMs - completionMs: negative when over budget. */
  readonly slackMs: number;
  /** The chain of phases that decided the completion time, first to last. */
  readonly criticalPath: readonly string[];
  /** Over budget only: the phase of the critical path during which the budget ran out. */
  readonly breakingPhase?: string;
}

export interface BootCheck {
  readonly plan: BootPlan;
  /** Every phase with its start and end, in order of start (then of declaration). */
  readonly schedule: readonly ScheduledPhase[];
  readonly cases: readonly CaseResult[];
  readonly withinBudget: boolean;
}

// #region check
/** Schedules a checked plan and compares each driving case with its budget. */
export function checkBootPlan(input: unknown): BootCheck {
  const plan = parseBootPlan(input);
  const eventAt = new Map(plan.events.map((e) => [e.id, e.atMs]));
  const byId = new Map(plan.phases.map((ph) => [ph.id, ph]));
  const done = new Map<string, ScheduledPhase>();

  // Each phase starts when the last of its dependencies ends (cycles were refused above).
  const schedule = (id: string): ScheduledPhase => {
    const known = done.get(id);
    if (known) return known;
    const ph = byId.get(id)!;
    let startMs = -1;
    let waitedFor = '';
    for (const dep of ph.after) {
      const t = eventAt.has(dep) ? eventAt.get(dep)! : schedule(dep).endMs;
      if (t > startMs) [startMs, waitedFor] = [t, dep];
    }
    const s: ScheduledPhase = { id, guest: ph.guest, what: ph.what, startMs, endMs: startMs + ph.durationMs, waitedFor };
    done.set(id, s);
    return s;
  };
  plan.phases.forEach((ph) => schedule(ph.id));

  const cases = plan.cases.map((c): CaseResult => {
    const fromMs = eventAt.get(c.from)!;
    const end = done.get(c.to)!.endMs;
    // Walk back along the dependencies that decided each start.
    const path: ScheduledPhase[] = [];
    for (let s: ScheduledPhase | undefined = done.get(c.to); s; s = done.get(s.waitedFor)) path.unshift(s);
    const completionMs = end - fromMs;
    const withinBudget = completionMs <= c.budgetMs;
    const deadline = fromMs + c.budgetMs;
    const breaking = withinBudget ? undefined : path.find((s) => s.endMs > deadline)?.id;
    return {
      id: c.id, title: c.title, requirement: c.requirement, fromMs, budgetMs: c.budgetMs, completionMs, withinBudget,
      slackMs: c.budgetMs - completionMs, criticalPath: path.map((s) => s.id), ...(breaking ? { breakingPhase: breaking } : {}),
    };
  });

  const ordered = plan.phases.map((ph) => done.get(ph.id)!).sort((a, b) => a.startMs - b.startMs);
  return { plan, schedule: ordered, cases, withinBudget: cases.every((c) => c.withinBudget) };
}
// #endregion check

// #region measurements
export interface BootSample {
  /** The case measured. */
  readonly caseId: string;
  /** Time from the case's event to its end, as measured on the platform. */
  readonly ms: number;
}

export interface MeasuredCase {
  readonly id: string;
  readonly budgetMs: number;
  readonly samples: number;
  readonly worstMs: number | null;
  /** Samples over the budget. */
  readonly overBudget: number;
}

export interface MeasurementReport {
  readonly cases: readonly MeasuredCase[];
  /** Problems with the measurements themselves: a case never measured, a sample of an unknown case. */
  readonly issues: readonly string[];
  /** Every case measured at least once and no sample over its budget. */
  readonly withinBudget: boolean;
}

/** Compares measured boots with the budgets of a plan: worst sample and samples over budget per case. */
export function checkMeasurements(input: unknown, samples: readonly BootSample[]): MeasurementReport {
  const plan = parseBootPlan(input);
  const issues: string[] = [];
  const known = new Set(plan.cases.map((c) => c.id));
  samples.forEach((s, i) => {
    if (!known.has(s.caseId)) issues.push(`samples.${i}: "${s.caseId}" is not a case of the plan`);
    else if (!Number.isFinite(s.ms) || s.ms < 0) issues.push(`samples.${i}: ${s.ms} is not a time from 0 ms`);
  });
  const cases = plan.cases.map((c): MeasuredCase => {
    const mine = samples.filter((s) => s.caseId === c.id && Number.isFinite(s.ms) && s.ms >= 0).map((s) => s.ms);
    if (mine.length === 0) issues.push(`case "${c.id}" was never measured`);
    return { id: c.id, budgetMs: c.budgetMs, samples: mine.length, worstMs: mine.length ? Math.max(...mine) : null, overBudget: mine.filter((v) => v > c.budgetMs).length };
  });
  return { cases, issues, withinBudget: issues.length === 0 && cases.every((c) => c.overBudget === 0) };
}
// #endregion measurements
