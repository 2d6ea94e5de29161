// The AVP's USB assignment policy: a platform's rule table that decides, for each device that
// arrives on a port the platform owns, which one guest gets it, or that nobody does. Rules match
// on the port path (where the device is plugged in), on a function's class, subclass and protocol,
// and on the device's vendor and product IDs. The most specific matching rule decides each
// function; a function no rule matches is denied; a device goes to a guest only when every one
// of its functions goes to that same guest.
import { USB_CLASS_MISC, USB_CLASS_PER_INTERFACE, type UsbDeviceInfo } from './descriptors.ts';

// #region platform-config
/** A safety guest carries ASIL functions; every other guest is general. */
export type UsbGuestClass = 'safety' | 'general';
export interface UsbGuest {
  readonly id: string;
  readonly class: UsbGuestClass;
}

/** A root port: 'external' if a person can reach its connector, 'internal' if it is wired inside the vehicle. */
export interface UsbRootPort {
  readonly path: string; // "bus-port", as Linux names USB devices in sysfs
  readonly name: string;
  readonly exposure: 'external' | 'internal';
}

/** A host controller and its root ports; `passthroughTo` hands the whole controller to one guest. */
export interface UsbController {
  readonly id: string;
  readonly ports: readonly UsbRootPort[];
  readonly passthroughTo?: string;
}

/**
 * One rule. Every field but `id` is optional; an absent field matches anything. A rule with
 * `grant` gives the function to that guest; a rule without it denies. `inSession` makes the rule
 * apply only while an authenticated service session is open.
 */
export interface UsbRule {
  readonly id: string;
  readonly port?: string; // a root port path or a deeper path behind a hub; matches that port and everything behind it
  readonly vendor?: number;
  readonly product?: number;
  readonly class?: number;
  readonly subClass?: number;
  readonly protocol?: number;
  readonly inSession?: boolean;
  readonly grant?: string;
}

export interface UsbPlatformConfig {
  readonly guests: readonly UsbGuest[];
  readonly controllers: readonly UsbController[];
  readonly rules: readonly UsbRule[];
  /** The most functions (device class plus interface descriptors plus associations) a routed device may declare. */
  readonly maxFunctions?: number;
}
// #endregion platform-config

export const DEFAULT_MAX_FUNCTIONS = 16;
/** USB allows seven tiers counting the root hub: a root port and at most five hubs below it. */
export const MAX_PORT_NUMBERS = 6;

// #region config-errors
export const USB_CONFIG_ERROR_CODES = [
  'BAD_PORT_PATH', // a path that is not "bus-port[.port…]" with numbers 1 to 255 and at most six port numbers
  'DUPLICATE_ID', // a root port, a guest ID or a rule ID declared twice
  'UNKNOWN_GUEST', // a rule or controller names a guest that is not declared
  'UNKNOWN_PORT', // a rule's port is not behind a declared root port
  'BAD_MATCH', // a value out of range, a product without a vendor, a subclass without a class, a protocol without a subclass
  'DUPLICATE_RULE', // two rules with the same match fields and the same session condition
  'SAFETY_RULE_UNBOUND', // a grant to a safety guest that does not name an internal port and a vendor:product
  'SAFETY_EXTERNAL_PASSTHROUGH', // a controller with an external port passed through to a safety guest
  'PASSTHROUGH_PORT_RULE', // a rule names a port of a passed-through controller
] as const;
export type UsbConfigErrorCode = (typeof USB_CONFIG_ERROR_CODES)[number];
export interface UsbConfigError {
  readonly code: UsbConfigErrorCode;
  readonly detail: string;
}
// #endregion config-errors

const PATH_RE = /^(\d{1,3})-(\d{1,3}(?:\.\d{1,3})*)$/;

/** The port numbers of a path ("1-2.3" is bus 1, ports [2, 3]), or undefined if it is not one. */
export function parsePortPath(path: string): { bus: number; ports: number[] } | undefined {
  const m = PATH_RE.exec(path);
  if (!m) return undefined;
  const bus = Number(m[1]);
  const ports = m[2].split('.').map(Number);
  if (bus < 1 || bus > 255 || ports.length > MAX_PORT_NUMBERS || ports.some((p) => p < 1 || p > 255)) return undefined;
  return { bus, ports };
}

/** "1-2.3.1" → "1-2". */
export function rootPortOf(path: string): string {
  const dot = path.indexOf('.');
  return dot < 0 ? path : path.slice(0, dot);
}

/** A rule's port covers the port itself and everything plugged in behind it. */
export function portCovers(rulePort: string, path: string): boolean {
  return path === rulePort || path.startsWith(`${rulePort}.`);
}

// #region specificity
/**
 * How specific a rule is, compared element by element: first the depth of its port (0: no port,
 * 1: a root port, 2: a port of a hub on it, …), then how much of the identity it names (vendor,
 * then product), then how much of the class triple, then whether it needs a service session.
 * The port comes first because it is the one thing a device cannot lie about.
 */
export function specificity(r: UsbRule): readonly [number, number, number, number] {
  const portDepth = r.port === undefined ? 0 : (parsePortPath(r.port)?.ports.length ?? 0);
  const identity = (r.vendor !== undefined ? 1 : 0) + (r.product !== undefined ? 1 : 0);
  const cls = (r.class !== undefined ? 1 : 0) + (r.subClass !== undefined ? 1 : 0) + (r.protocol !== undefined ? 1 : 0);
  return [portDepth, identity, cls, r.inSession ? 1 : 0];
}

export function compareSpecificity(a: UsbRule, b: UsbRule): number {
  const x = specificity(a);
  const y = specificity(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}
// #endregion specificity

const matchKey = (r: UsbRule) => JSON.stringify([r.port ?? null, r.vendor ?? null, r.product ?? null, r.class ?? null, r.subClass ?? null, r.protocol ?? null, !!r.inSession]);
const inRange = (v: number | undefined, max: number) => v === undefined || (Number.isInteger(v) && v >= 0 && v <= max);

// #region validate
/** Checks a platform's configuration and returns every problem, or a policy that can decide. */
export function validateUsbConfig(c: UsbPlatformConfig): { ok: true; policy: UsbPolicy } | { ok: false; errors: UsbConfigError[] } {
  const errors: UsbConfigError[] = [];
  const err = (code: UsbConfigErrorCode, detail: string) => errors.push({ code, detail });
  const guests = new Map<string, UsbGuest>();
  for (const g of c.guests) {
    if (guests.has(g.id)) err('DUPLICATE_ID', `guest "${g.id}" declared twice`);
    guests.set(g.id, g);
  }
  const roots = new Map<string, { port: UsbRootPort; controller: UsbController }>();
  for (const ctl of c.controllers) {
    if (ctl.passthroughTo !== undefined && !guests.has(ctl.passthroughTo)) err('UNKNOWN_GUEST', `controller ${ctl.id} passed through to unknown guest "${ctl.passthroughTo}"`);
    for (const p of ctl.ports) {
      const parsed = parsePortPath(p.path);
      if (!parsed || parsed.ports.length !== 1) err('BAD_PORT_PATH', `controller ${ctl.id}: root port "${p.path}"`);
      else if (roots.has(p.path)) err('DUPLICATE_ID', `root port ${p.path} declared twice`);
      else roots.set(p.path, { port: p, controller: ctl });
    }
    if (ctl.passthroughTo !== undefined && guests.get(ctl.passthroughTo)?.class === 'safety' && ctl.ports.some((p) => p.exposure === 'external')) {
      err('SAFETY_EXTERNAL_PASSTHROUGH', `controller ${ctl.id} has an external port and is passed through to safety guest "${ctl.passthroughTo}"`);
    }
  }
  const ids = new Set<string>();
  const keys = new Map<string, string>();
  for (const r of c.rules) {
    if (ids.has(r.id)) err('DUPLICATE_ID', `rule ID "${r.id}" used twice`);
    ids.add(r.id);
    if (r.grant !== undefined && !guests.has(r.grant)) err('UNKNOWN_GUEST', `rule ${r.id} grants unknown guest "${r.grant}"`);
    let root: { port: UsbRootPort; controller: UsbController } | undefined;
    if (r.port !== undefined) {
      if (!parsePortPath(r.port)) err('BAD_PORT_PATH', `rule ${r.id}: port "${r.port}"`);
      else if (!(root = roots.get(rootPortOf(r.port)))) err('UNKNOWN_PORT', `rule ${r.id}: port ${r.port} is behind no declared root port`);
      else if (root.controller.passthroughTo !== undefined) err('PASSTHROUGH_PORT_RULE', `rule ${r.id}: port ${r.port} belongs to controller ${root.controller.id}, passed through to "${root.controller.passthroughTo}"`);
    }
    const fieldsOk = inRange(r.vendor, 0xffff) && inRange(r.product, 0xffff) && inRange(r.class, 0xff) && inRange(r.subClass, 0xff) && inRange(r.protocol, 0xff);
    const shapeOk = (r.product === undefined || r.vendor !== undefined) && (r.subClass === undefined || r.class !== undefined) && (r.protocol === undefined || r.subClass !== undefined);
    if (!fieldsOk || !shapeOk) err('BAD_MATCH', `rule ${r.id}: ${fieldsOk ? 'a narrower field without the wider one' : 'a value out of range'}`);
    const k = matchKey(r);
    const other = keys.get(k);
    if (other !== undefined) err('DUPLICATE_RULE', `rules ${other} and ${r.id} match the same devices under the same condition`);
    else keys.set(k, r.id);
    if (r.grant !== undefined && guests.get(r.grant)?.class === 'safety') {
      const internal = root !== undefined && root.port.exposure === 'internal';
      if (!internal || r.vendor === undefined || r.product === undefined) err('SAFETY_RULE_UNBOUND', `rule ${r.id} grants safety guest "${r.grant}" without an internal port and a vendor:product`);
    }
  }
  if (c.maxFunctions !== undefined && (!Number.isInteger(c.maxFunctions) || c.maxFunctions < 1)) err('BAD_MATCH', `maxFunctions ${c.maxFunctions}`);
  return errors.length ? { ok: false, errors } : { ok: true, policy: new UsbPolicy(c, roots, guests) };
}
// #endregion validate

/** One thing a device says it is: its device class, an interface (any alternate setting) or an association. */
export interface UsbFunction {
  readonly where: string;
  readonly class: number;
  readonly subClass: number;
  readonly protocol: number;
}

// #region functions
/**
 * Every function a device declares, in every configuration and every alternate setting: a guest
 * may select any of them, so the platform judges them all. The device's own class counts unless
 * it is 00h (classes are per interface) or EFh (miscellaneous, the mark of a composite device).
 */
export function functionsOf(info: UsbDeviceInfo): UsbFunction[] {
  const out: UsbFunction[] = [];
  const d = info.device;
  if (d.deviceClass !== USB_CLASS_PER_INTERFACE && d.deviceClass !== USB_CLASS_MISC) out.push({ where: 'device', class: d.deviceClass, subClass: d.deviceSubClass, protocol: d.deviceProtocol });
  for (const c of info.configurations) {
    for (const a of c.associations) out.push({ where: `config ${c.value} association ${a.firstInterface}+${a.interfaceCount}`, class: a.class, subClass: a.subClass, protocol: a.protocol });
    for (const i of c.interfaces) out.push({ where: `config ${c.value} interface ${i.number} alt ${i.alternate}`, class: i.class, subClass: i.subClass, protocol: i.protocol });
  }
  return out;
}
// #endregion functions

export type UsbDenyReason = 'no-rule' | 'denied-by-rule' | 'split-guests' | 'too-many-functions' | 'no-functions';
export type UsbDecision =
  | { readonly granted: true; readonly guest: string; readonly rules: readonly string[] }
  | { readonly granted: false; readonly reason: UsbDenyReason; readonly detail: string; readonly rules: readonly string[] };

export class UsbPolicy {
  readonly config: UsbPlatformConfig;
  readonly maxFunctions: number;
  private readonly roots: ReadonlyMap<string, { port: UsbRootPort; controller: UsbController }>;
  private readonly guests: ReadonlyMap<string, UsbGuest>;

  constructor(config: UsbPlatformConfig, roots: ReadonlyMap<string, { port: UsbRootPort; controller: UsbController }>, guests: ReadonlyMap<string, UsbGuest>) {
    this.config = config;
    this.roots = roots;
    this.guests = guests;
    this.maxFunctions = config.maxFunctions ?? DEFAULT_MAX_FUNCTIONS;
  }

  /** The declared root port a path is behind, with its controller, if any. */
  rootPort(path: string): { port: UsbRootPort; controller: UsbController } | undefined {
    return this.roots.get(rootPortOf(path));
  }

  guest(id: string): UsbGuest | undefined {
    return this.guests.get(id);
  }

  /** Does `rule` match `fn` of a device with this identity at `path`, with the session as it is? */
  static matches(rule: UsbRule, path: string, info: UsbDeviceInfo, fn: UsbFunction, session: boolean): boolean {
    if (rule.inSession && !session) return false;
    if (rule.port !== undefined && !portCovers(rule.port, path)) return false;
    if (rule.vendor !== undefined && rule.vendor !== info.device.vendor) return false;
    if (rule.product !== undefined && rule.product !== info.device.product) return false;
    if (rule.class !== undefined && rule.class !== fn.class) return false;
    if (rule.subClass !== undefined && rule.subClass !== fn.subClass) return false;
    if (rule.protocol !== undefined && rule.protocol !== fn.protocol) return false;
    return true;
  }

  // #region decide
  /** The most specific rule for one function; two matching rules never tie (DUPLICATE_RULE). */
  ruleFor(path: string, info: UsbDeviceInfo, fn: UsbFunction, session: boolean): UsbRule | undefined {
    let best: UsbRule | undefined;
    for (const r of this.config.rules) {
      if (UsbPolicy.matches(r, path, info, fn, session) && (!best || compareSpecificity(r, best) > 0)) best = r;
    }
    return best;
  }

  /** The whole device: every function decided on its own, then the strictest outcome wins. */
  decide(path: string, info: UsbDeviceInfo, session: boolean): UsbDecision {
    const fns = functionsOf(info);
    if (fns.length === 0) return { granted: false, reason: 'no-functions', detail: 'no class and no interface', rules: [] };
    if (fns.length > this.maxFunctions) return { granted: false, reason: 'too-many-functions', detail: `${fns.length} functions, at most ${this.maxFunctions}`, rules: [] };
    const used: string[] = [];
    const guests = new Set<string>();
    for (const fn of fns) {
      const r = this.ruleFor(path, info, fn, session);
      const cls = `${hex2(fn.class)}/${hex2(fn.subClass)}/${hex2(fn.protocol)}`;
      if (!r) return { granted: false, reason: 'no-rule', detail: `${fn.where} (${cls}): no rule matches`, rules: used };
      if (!used.includes(r.id)) used.push(r.id);
      if (r.grant === undefined) return { granted: false, reason: 'denied-by-rule', detail: `${fn.where} (${cls}): rule ${r.id} denies`, rules: used };
      guests.add(r.grant);
    }
    if (guests.size > 1) return { granted: false, reason: 'split-guests', detail: `functions would go to ${[...guests].join(' and ')}`, rules: used };
    return { granted: true, guest: [...guests][0], rules: used };
  }
  // #endregion decide
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');
