// The boot plan: its schema and cross-checks name the field, the checker schedules phases by
// their dependencies and compares each driving case with its budget, naming the phase in which
// an over-budget case ran out of time; measurements are compared with the same budgets.
import { describe, expect, it } from 'vitest';
import {
  checkBootPlan,
  checkMeasurements,
  cockpitBootPlan,
  findCycle,
  parseBootPlan,
  REAR_VIEW_FIRST_FRAME_MS,
  REAR_VIEW_SHOWN_MS,
  REAR_VIEW_STREAMON_MS,
  TELLTALE_BUDGET_MS,
  validateBootPlan,
  type BootPlanInput,
} from '../../../src/lib/boot/index.ts';

function plan(edit: (p: BootPlanInput) => void = () => {}): BootPlanInput {
  const p = structuredClone(cockpitBootPlan());
  edit(p);
  return p;
}
const phase = (p: BootPlanInput, id: string) => p.phases.find((ph) => ph.id === id)!;
function issues(d: unknown): string[] {
  const r = validateBootPlan(d);
  if (r.ok) throw new Error('expected the plan to be rejected');
  return r.issues.map((i) => `${i.path}: ${i.message}`);
}

describe('[AVP-BOOT-12] [AVP-BOOT-13] the sample cockpit plan', () => {
  const check = checkBootPlan(cockpitBootPlan());
  const byId = Object.fromEntries(check.cases.map((c) => [c.id, c]));

  it('meets every budget, the media chapter\'s figures included', () => {
    expect(check.withinBudget).toBe(true);
    expect(byId['telltales']).toMatchObject({ budgetMs: TELLTALE_BUDGET_MS, completionMs: 587, withinBudget: true });
    expect(byId['rear-view-streamon']).toMatchObject({ budgetMs: REAR_VIEW_STREAMON_MS, completionMs: 920, requirement: 'AVP-MEDIA-35' });
    expect(byId['rear-view-first-frame']).toMatchObject({ budgetMs: REAR_VIEW_FIRST_FRAME_MS, completionMs: 1170, requirement: 'AVP-MEDIA-34' });
    expect(byId['rear-view-shown']).toMatchObject({ budgetMs: REAR_VIEW_SHOWN_MS, completionMs: 1227 });
    expect([REAR_VIEW_STREAMON_MS, REAR_VIEW_FIRST_FRAME_MS, REAR_VIEW_SHOWN_MS]).toEqual([1200, 1600, 2000]);
  });

  it('makes the telltales wait for the compositor and the safety function, whichever is later', () => {
    expect(byId['telltales'].criticalPath).toEqual(['soc-firmware', 'hypervisor', 'display-pipe', 'telltales-shown']);
    const slow = checkBootPlan(plan((p) => (phase(p, 'telltale-state').durationMs = 400)));
    const t = slow.cases.find((c) => c.id === 'telltales')!;
    expect(t.criticalPath).toEqual(['soc-firmware', 'hypervisor', 'rtos-start', 'telltale-state', 'telltales-shown']);
    expect(t.completionMs).toBe(250 + 120 + 60 + 400 + 17);
  });

  it('makes the rear-view image wait for the camera owner guest', () => {
    expect(byId['rear-view-first-frame'].criticalPath).toEqual(['soc-firmware', 'hypervisor', 'cluster-kernel', 'cluster-early-init', 'camera-first-frame']);
  });
});

describe('[AVP-BOOT-12] [AVP-BOOT-13] a plan over budget', () => {
  it('is reported with the phase in which the budget ran out', () => {
    // An untuned kernel in the camera owner guest: STREAMON at 1420 ms, first frame at 1670 ms.
    const check = checkBootPlan(plan((p) => (phase(p, 'cluster-kernel').durationMs = 900)));
    expect(check.withinBudget).toBe(false);
    const streamon = check.cases.find((c) => c.id === 'rear-view-streamon')!;
    expect(streamon).toMatchObject({ completionMs: 1420, withinBudget: false, slackMs: -220, breakingPhase: 'cluster-kernel' });
    expect(check.cases.find((c) => c.id === 'rear-view-first-frame')).toMatchObject({ completionMs: 1670, breakingPhase: 'camera-first-frame' });
    // The time ran out in the camera's start-up, but the critical path shows where it went.
    expect(check.cases.find((c) => c.id === 'rear-view-first-frame')!.criticalPath).toContain('cluster-kernel');
    expect(check.cases.find((c) => c.id === 'rear-view-shown')).toMatchObject({ completionMs: 1727, withinBudget: true });
    expect(check.cases.find((c) => c.id === 'telltales')!.withinBudget).toBe(true);
  });

  it('names a platform phase when the platform is the slow part', () => {
    const check = checkBootPlan(plan((p) => (phase(p, 'display-pipe').durationMs = 700)));
    expect(check.cases.find((c) => c.id === 'telltales')).toMatchObject({ completionMs: 1087, breakingPhase: 'display-pipe' });
  });

  it('is exactly within budget at the budget itself', () => {
    const check = checkBootPlan(plan((p) => (phase(p, 'cluster-early-init').durationMs = 150 + 280)));
    expect(check.cases.find((c) => c.id === 'rear-view-streamon')).toMatchObject({ completionMs: 1200, withinBudget: true, slackMs: 0 });
  });

  it('counts from the case\'s own event: reverse selected later leaves more time', () => {
    const check = checkBootPlan(plan((p) => {
      phase(p, 'cluster-kernel').durationMs = 900;
      p.events.find((e) => e.id === 'reverse')!.atMs = 500;
    }));
    expect(check.cases.find((c) => c.id === 'rear-view-streamon')).toMatchObject({ fromMs: 500, completionMs: 920, withinBudget: true });
  });
});

describe('[AVP-BOOT-11] a boot plan is checked field by field', () => {
  it('accepts the sample', () => {
    expect(parseBootPlan(cockpitBootPlan()).phases).toHaveLength(17);
  });

  it('refuses a dependency cycle, naming the phases on it', () => {
    const p = plan((q) => phase(q, 'hypervisor').after.push('cluster-early-init'));
    expect(issues(p)).toEqual([
      'phases.1.after: dependency cycle: hypervisor → cluster-kernel → cluster-early-init → hypervisor',
    ]);
    expect(() => checkBootPlan(p)).toThrow(/dependency cycle/);
  });

  it('finds a two-phase cycle and reports none in a chain', () => {
    expect(findCycle([{ id: 'a', after: ['b'] }, { id: 'b', after: ['a'] }])).toEqual(['a', 'b']);
    expect(findCycle([{ id: 'a', after: ['ignition'] }, { id: 'b', after: ['a'] }])).toBeNull();
  });

  it('names unknown dependencies, guests, events and phases', () => {
    const p = plan((q) => {
      phase(q, 'gauges-shown').after.push('compositor');
      phase(q, 'rtos-start').guest = 'safety';
      q.cases[0].from = 'door-open';
      q.cases[1].to = 'streamon';
    });
    expect(issues(p)).toEqual([
      'phases.4.guest: unknown guest "safety" (not "platform" and not in guests)',
      'phases.13.after.2: unknown phase or event "compositor"',
      'cases.0.from: "door-open" is not an event of the plan',
      'cases.1.to: "streamon" is not a phase of the plan',
    ]);
  });

  it('names a phase that waits for itself, a duplicate ID and a reserved guest name', () => {
    const p = plan((q) => {
      phase(q, 'rtos-start').after.push('rtos-start');
      q.phases[5].id = 'hypervisor';
      q.guests.push({ name: 'platform', boot: 'uefi' });
    });
    expect(issues(p)).toEqual([
      'phases.5.id: "hypervisor" is already phases.1',
      'guests.3.name: "platform" is reserved for phases of the firmware, hypervisor and host',
      'phases.4.after.1: phase "rtos-start" cannot wait for itself',
      'phases.6.after.1: unknown phase or event "telltale-state"',
    ]);
  });

  it('names malformed fields', () => {
    const p = plan((q) => {
      (q.phases[0] as { durationMs: unknown }).durationMs = -5;
      q.phases[1].after = [];
      q.cases[0].budgetMs = 0;
      (q.cases[1] as { requirement?: string }).requirement = 'MEDIA-35';
      (q as unknown as Record<string, unknown>).extra = 1;
    });
    expect(issues(p)).toEqual([
      'phases.0.durationMs: a time from 0 ms',
      'phases.1.after: at least one phase or event to start after',
      'cases.0.budgetMs: a budget above 0 ms',
      'cases.1.requirement: a requirement ID such as AVP-MEDIA-35',
      'extra: Unrecognized key: "extra"',
    ]);
  });
});

describe('[AVP-BOOT-15] measured boots against the budgets', () => {
  it('reports the worst sample and the samples over budget per case', () => {
    const samples = [
      ...[600, 640, 1010].map((ms) => ({ caseId: 'telltales', ms })),
      ...[900, 1250].map((ms) => ({ caseId: 'rear-view-streamon', ms })),
      { caseId: 'rear-view-first-frame', ms: 1400 },
      { caseId: 'rear-view-shown', ms: 1500 },
      { caseId: 'cluster-gauges', ms: 2100 },
    ];
    const r = checkMeasurements(cockpitBootPlan(), samples);
    expect(r.issues).toEqual([]);
    expect(r.withinBudget).toBe(false);
    expect(r.cases.find((c) => c.id === 'telltales')).toEqual({ id: 'telltales', budgetMs: 1000, samples: 3, worstMs: 1010, overBudget: 1 });
    expect(r.cases.find((c) => c.id === 'rear-view-streamon')).toMatchObject({ worstMs: 1250, overBudget: 1 });
    expect(r.cases.find((c) => c.id === 'cluster-gauges')).toMatchObject({ worstMs: 2100, overBudget: 0 });
  });

  it('fails a case that was never measured and names samples of unknown cases', () => {
    const r = checkMeasurements(cockpitBootPlan(), [{ caseId: 'telltales', ms: 500 }, { caseId: 'reverse', ms: 900 }]);
    expect(r.withinBudget).toBe(false);
    expect(r.issues).toEqual([
      'samples.1: "reverse" is not a case of the plan',
      'case "rear-view-streamon" was never measured',
      'case "rear-view-first-frame" was never measured',
      'case "rear-view-shown" was never measured',
      'case "cluster-gauges" was never measured',
    ]);
  });

  it('passes when every case is measured within budget', () => {
    const plan0 = cockpitBootPlan();
    const r = checkMeasurements(plan0, plan0.cases.map((c) => ({ caseId: c.id, ms: c.budgetMs })));
    expect(r).toMatchObject({ withinBudget: true, issues: [] });
  });
});
