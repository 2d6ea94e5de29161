// Who may open the rear-view camera. The camera is a safety function (FMVSS 111 and UN R158
// make it a condition of approval), so the platform gives it to one guest, the owner (in a
// cockpit, the cluster or safety guest), and decides for every other guest whether it gets a
// viewer device (a read-only copy of the owner's stream, for a surround-view or a recorder in
// the IVI) or no device at all. A guest that gets none sees no virtio-media device for the
// camera: there is nothing to open, probe or misconfigure.
import { type CameraRole, CameraDevice, type CameraSensor } from './camera.ts';

// #region policy
export interface CameraPolicy {
  /** The guest that owns the camera: the only one that configures it. */
  readonly owner: string;
  /** Guests that get a viewer device; every other guest gets none. */
  readonly viewers: readonly string[];
}

export type CameraAccess = CameraRole | 'none';

export function accessFor(p: CameraPolicy, guest: string): CameraAccess {
  if (guest === p.owner) return 'owner';
  return p.viewers.includes(guest) ? 'viewer' : 'none';
}

export function policyError(p: CameraPolicy): string | null {
  if (p.owner.length === 0) return 'owner: empty';
  if (p.viewers.includes(p.owner)) return 'viewers: the owner cannot also be a viewer';
  if (new Set(p.viewers).size !== p.viewers.length) return 'viewers: a guest is listed twice';
  return null;
}
// #endregion policy

export interface AccessDecision {
  readonly guest: string;
  readonly access: CameraAccess;
  readonly device: boolean;
}

// #region hub
/** The platform side of one physical camera: it makes each guest's device, as the policy says. */
export class CameraHub {
  readonly sensor: CameraSensor;
  readonly policy: CameraPolicy;
  readonly log: AccessDecision[] = [];
  private readonly made = new Map<string, CameraDevice>();

  constructor(sensor: CameraSensor, policy: CameraPolicy) {
    const err = policyError(policy);
    if (err) throw new RangeError(`camera policy: ${err}`);
    this.sensor = sensor;
    this.policy = policy;
  }

  /** The guest's device, or null when the policy gives it none. One device per guest. */
  deviceFor(guest: string, opts: { streamStartBudgetUs?: number } = {}): CameraDevice | null {
    const access = accessFor(this.policy, guest);
    const existing = this.made.get(guest);
    if (access === 'none' || existing) {
      this.log.push({ guest, access, device: existing !== undefined });
      return existing ?? null;
    }
    const dev = new CameraDevice({ sensor: this.sensor, role: access, guest, card: access === 'owner' ? 'AVP rear-view camera' : 'AVP rear-view camera (view)', ...opts });
    this.made.set(guest, dev);
    this.log.push({ guest, access, device: true });
    return dev;
  }
}
// #endregion hub
