// Boot: the boot plan of a platform and its boot-time budgets (budget.ts), a sample cockpit
// plan (sample.ts), the plan as text and as an SVG timeline (timeline.ts), and the load layout
// of a direct arm64 Linux boot (arm64.ts). No DOM and no Node-only APIs.
export * from './budget.ts';
export * from './sample.ts';
export * from './timeline.ts';
export * from './arm64.ts';
