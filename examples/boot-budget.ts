// A cockpit's cold-boot plan checked against its budgets (telltales after ignition, the rear-view image after reverse), then the same plan with an untuned cluster kernel, over budget.
import { boot, showSvg } from '../src/lib/index.ts';

const plan = boot.cockpitBootPlan();
const check = boot.checkBootPlan(plan);
console.log(boot.formatBootCheck(check));
showSvg(boot.bootTimelineSvg(check, { untilMs: 6000 }), 'Cold-boot timeline of the sample cockpit: one bar per phase, grouped by guest, with each case\'s deadline as a dashed line');

// The camera owner guest boots a distribution kernel that probes its drivers as modules.
const slow = structuredClone(plan);
slow.phases.find((p) => p.id === 'cluster-kernel')!.durationMs = 900;
const slowCheck = boot.checkBootPlan(slow);
console.log('\nwith cluster-kernel at 900 ms:');
for (const c of slowCheck.cases.filter((c) => !c.withinBudget)) {
  console.log(`  ${c.id}: ${c.completionMs} ms of ${c.budgetMs} ms, ran out in ${c.breakingPhase}; path ${c.criticalPath.join(' → ')}`);
}

// A plan with a dependency cycle is refused, naming the phases on it.
const cyclic = structuredClone(plan);
cyclic.phases.find((p) => p.id === 'display-pipe')!.after.push('telltales-shown');
const r = boot.validateBootPlan(cyclic);
if (!r.ok) for (const i of r.issues) console.log(`\nrefused: ${i.path}: ${i.message}`);
