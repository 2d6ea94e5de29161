// A sample boot plan for the cockpit of the discovery chapter: a safety RTOS that reads the
// telltale state from CAN, a cluster Linux booted directly that owns the rear-view camera, and
// an infotainment guest booted through UEFI firmware. The durations are illustrative worst
// cases in model time, not measurements of any product. Reverse is selected at the moment of
// ignition, the worst case a cold boot gives the rear-view chain.
import { AVP_REAR_VIEW_BUDGET, REGULATORY_RESPONSE_US } from '../devices/media/rear-view.ts';
import type { BootPlanInput } from './budget.ts';

// #region budgets
/** Ignition to the telltale plane's first refresh with the safety function's state: the AVP's figure. */
export const TELLTALE_BUDGET_MS = 1000;
/** Reverse to the owner guest's STREAMON (AVP-MEDIA-35), to the first frame (AVP-MEDIA-34), to the image shown. */
export const REAR_VIEW_STREAMON_MS = AVP_REAR_VIEW_BUDGET.platformUs / 1000;
export const REAR_VIEW_FIRST_FRAME_MS = (AVP_REAR_VIEW_BUDGET.platformUs + AVP_REAR_VIEW_BUDGET.deviceUs) / 1000;
export const REAR_VIEW_SHOWN_MS = REGULATORY_RESPONSE_US / 1000;
// #endregion budgets

// #region cockpit-plan
export function cockpitBootPlan(): BootPlanInput {
  return {
    name: 'AVP sample cockpit, cold boot',
    guests: [
      { name: 'rtos', boot: 'rtos-image' },
      { name: 'cluster', boot: 'direct-kernel' },
      { name: 'ivi', boot: 'uefi' },
    ],
    events: [
      { id: 'ignition', atMs: 0 },
      { id: 'reverse', atMs: 0 },
    ],
    phases: [
      { id: 'soc-firmware', guest: 'platform', what: 'boot ROM, secure firmware, hypervisor image loaded', durationMs: 250, after: ['ignition'] },
      { id: 'hypervisor', guest: 'platform', what: 'hypervisor partitions memory, loads guest images and device trees', durationMs: 120, after: ['soc-firmware'] },
      { id: 'display-pipe', guest: 'platform', what: 'display controller, compositor, telltale plane', durationMs: 200, after: ['hypervisor'] },
      { id: 'camera-backend', guest: 'platform', what: 'camera back end: sensor power-up, ISP firmware', durationMs: 300, after: ['hypervisor'] },
      { id: 'rtos-start', guest: 'rtos', what: 'RTOS image entered, CAN controller up', durationMs: 60, after: ['hypervisor'] },
      { id: 'telltale-state', guest: 'rtos', what: 'first CAN cycle read, telltale state to the safety function', durationMs: 100, after: ['rtos-start'] },
      { id: 'telltales-shown', guest: 'platform', what: 'first refresh with the telltale state', durationMs: 17, after: ['display-pipe', 'telltale-state'] },
      { id: 'cluster-kernel', guest: 'cluster', what: 'Linux entered directly, built-in virtio drivers probe', durationMs: 400, after: ['hypervisor'] },
      { id: 'cluster-early-init', guest: 'cluster', what: 'initramfs rear-view service: open camera, STREAMON', durationMs: 150, after: ['cluster-kernel'] },
      { id: 'camera-first-frame', guest: 'platform', what: 'camera device returns its first frame', durationMs: 250, after: ['cluster-early-init', 'camera-backend'] },
      { id: 'rear-view-drawn', guest: 'cluster', what: 'rear-view service draws the frame and flushes', durationMs: 40, after: ['camera-first-frame'] },
      { id: 'rear-view-shown', guest: 'platform', what: 'first refresh with the rear-view layer', durationMs: 17, after: ['rear-view-drawn', 'display-pipe'] },
      { id: 'cluster-userspace', guest: 'cluster', what: 'root file system mounted, cluster UI started', durationMs: 900, after: ['cluster-early-init'] },
      { id: 'gauges-shown', guest: 'cluster', what: 'first full cluster frame', durationMs: 50, after: ['cluster-userspace', 'display-pipe'] },
      { id: 'ivi-firmware', guest: 'ivi', what: 'UEFI firmware (EBBR), boot manager, OS loader', durationMs: 700, after: ['hypervisor'] },
      { id: 'ivi-kernel', guest: 'ivi', what: 'Linux kernel through the EFI stub', durationMs: 1200, after: ['ivi-firmware'] },
      { id: 'ivi-userspace', guest: 'ivi', what: 'Android framework to the home screen', durationMs: 3500, after: ['ivi-kernel'] },
    ],
    cases: [
      { id: 'telltales', title: 'ignition to telltales shown', from: 'ignition', to: 'telltales-shown', budgetMs: TELLTALE_BUDGET_MS, requirement: 'AVP-BOOT-12' },
      { id: 'rear-view-streamon', title: 'reverse to STREAMON', from: 'reverse', to: 'cluster-early-init', budgetMs: REAR_VIEW_STREAMON_MS, requirement: 'AVP-MEDIA-35' },
      { id: 'rear-view-first-frame', title: 'reverse to first frame', from: 'reverse', to: 'camera-first-frame', budgetMs: REAR_VIEW_FIRST_FRAME_MS, requirement: 'AVP-MEDIA-34' },
      { id: 'rear-view-shown', title: 'reverse to rear-view image shown', from: 'reverse', to: 'rear-view-shown', budgetMs: REAR_VIEW_SHOWN_MS, requirement: 'AVP-BOOT-13' },
      { id: 'cluster-gauges', title: 'ignition to full cluster', from: 'ignition', to: 'gauges-shown', budgetMs: 2500 },
    ],
  };
}
// #endregion cockpit-plan
