// The requests a guest sends to the TEE relay and the answers it gets. VIRTIO 1.4 reserves
// device ID 46 for a TEE device and defines nothing for it, so this is not a virtqueue format:
// a guest reaches the relay the way it reaches a TEE on bare metal, with an SMC or an FF-A
// direct request that traps to the hypervisor, and the relay reads the request from registers
// and the guest's argument page. The model keeps the decoded shape: five operations that
// mirror the GlobalPlatform TEE Client API (and OP-TEE's OPTEE_MSG_CMD_* commands), each
// carrying the source VM ID an FF-A direct request carries in w1.
//
// The relay never trusts the shape either: parseRequest() reads an untrusted value once, checks
// every field and copies it, so that a guest that changes its argument page after the check
// (Xen's mediator copies the page for the same reason) changes nothing the relay acts on.
import type { RelayErrorName } from './results.ts';

// #region request-shape
/** At most four parameters per call, as in the GlobalPlatform TEE Client API. */
export const TEE_MAX_PARAMS = 4;

export type ValueDir = 'value-input' | 'value-output' | 'value-inout';
export type MemrefDir = 'memref-input' | 'memref-output' | 'memref-inout';

/** A parameter as the guest sends it: nothing, two 32-bit values, or a part of a shared region. */
export type TeeParam =
  | { readonly type: 'none' }
  | { readonly type: ValueDir; readonly a: number; readonly b: number }
  | { readonly type: MemrefDir; readonly handle: bigint; readonly offset: number; readonly size: number };

export type TeeRequest =
  | { readonly op: 'open-session'; readonly vmId: number; readonly ta: string; readonly params: readonly TeeParam[] }
  | { readonly op: 'invoke'; readonly vmId: number; readonly session: number; readonly command: number; readonly params: readonly TeeParam[] }
  | { readonly op: 'close-session'; readonly vmId: number; readonly session: number }
  | { readonly op: 'register-shm'; readonly vmId: number; readonly address: number; readonly size: number }
  | { readonly op: 'unregister-shm'; readonly vmId: number; readonly handle: bigint };

export type TeeOp = TeeRequest['op'];
export const TEE_OPS: readonly TeeOp[] = ['open-session', 'invoke', 'close-session', 'register-shm', 'unregister-shm'];

/** What comes back for one parameter: output values, or the bytes a memory reference holds (or needs). */
export type ParamResult = { readonly type: 'none' } | { readonly type: 'value'; readonly a: number; readonly b: number } | { readonly type: 'memref'; readonly size: number };

/** The answer to one request: a TEEC code and its origin, and what the operation produced. */
export interface TeeReply {
  readonly code: number;
  readonly origin: number;
  /** open-session: the relay's identifier of the new session. */
  readonly session?: number;
  /** register-shm: the handle of the new shared region. */
  readonly handle?: bigint;
  /** open-session and invoke: one result per parameter sent. */
  readonly params?: readonly ParamResult[];
}
// #endregion request-shape

const U32 = 0xffff_ffff;
const U64 = (1n << 64n) - 1n;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FIELDS: Record<TeeOp, readonly string[]> = {
  'open-session': ['op', 'vmId', 'ta', 'params'],
  invoke: ['op', 'vmId', 'session', 'command', 'params'],
  'close-session': ['op', 'vmId', 'session'],
  'register-shm': ['op', 'vmId', 'address', 'size'],
  'unregister-shm': ['op', 'vmId', 'handle'],
};
const PARAM_FIELDS: Record<string, readonly string[]> = {
  none: ['type'],
  'value-input': ['type', 'a', 'b'],
  'value-output': ['type', 'a', 'b'],
  'value-inout': ['type', 'a', 'b'],
  'memref-input': ['type', 'handle', 'offset', 'size'],
  'memref-output': ['type', 'handle', 'offset', 'size'],
  'memref-inout': ['type', 'handle', 'offset', 'size'],
};

type ParseError = Extract<RelayErrorName, 'bad-op' | 'bad-field' | 'bad-param'>;
/** A checked request, or the reason it is refused and, for the log, the operation it claimed. */
export type Parsed = { readonly ok: true; readonly req: TeeRequest } | { readonly ok: false; readonly reason: ParseError; readonly label: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const intIn = (v: unknown, max: number): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;
const u64 = (v: unknown): v is bigint => typeof v === 'bigint' && v >= 0n && v <= U64;
/** Exactly the fields an operation defines: an unknown field is refused, not ignored. */
const onlyFields = (r: Record<string, unknown>, fields: readonly string[]) => Object.keys(r).every((k) => fields.includes(k)) && fields.every((k) => k in r);

// #region parse-request
/** Reads an untrusted request once: a checked copy, or the name of what is wrong with it. */
export function parseRequest(untrusted: unknown): Parsed {
  // One snapshot of the request's own fields; everything below reads the snapshot only.
  const raw: Record<string, unknown> | null = isRecord(untrusted) ? { ...untrusted } : null;
  const label = raw && typeof raw.op === 'string' ? raw.op.slice(0, 24) : '?';
  const refuse = (reason: ParseError): Parsed => ({ ok: false, reason, label });
  if (!raw || typeof raw.op !== 'string' || !(TEE_OPS as readonly string[]).includes(raw.op)) return refuse('bad-op');
  const op = raw.op as TeeOp;
  if (!onlyFields(raw, FIELDS[op])) return refuse('bad-field');
  // VM IDs are 16 bits, as FF-A partition IDs are; whether it is the caller's is the relay's check.
  if (!intIn(raw.vmId, 0xffff)) return refuse('bad-field');
  const vmId = raw.vmId;
  switch (op) {
    case 'open-session': {
      if (typeof raw.ta !== 'string' || !UUID.test(raw.ta)) return refuse('bad-field');
      const params = parseParams(raw.params);
      return params === null ? refuse('bad-param') : { ok: true, req: { op, vmId, ta: raw.ta, params } };
    }
    case 'invoke': {
      if (!intIn(raw.session, U32) || !intIn(raw.command, U32)) return refuse('bad-field');
      const params = parseParams(raw.params);
      return params === null ? refuse('bad-param') : { ok: true, req: { op, vmId, session: raw.session, command: raw.command, params } };
    }
    case 'close-session':
      return intIn(raw.session, U32) ? { ok: true, req: { op, vmId, session: raw.session } } : refuse('bad-field');
    case 'register-shm':
      // Any address a guest can name is accepted here; whether it is the guest's memory, and
      // whether the size is allowed, is the relay's check (bad-range), not a malformed field.
      return intIn(raw.address, Number.MAX_SAFE_INTEGER) && intIn(raw.size, Number.MAX_SAFE_INTEGER)
        ? { ok: true, req: { op, vmId, address: raw.address, size: raw.size } }
        : refuse('bad-field');
    case 'unregister-shm':
      return u64(raw.handle) ? { ok: true, req: { op, vmId, handle: raw.handle } } : refuse('bad-field');
  }
}

/** A parameter list: at most four, each of a defined type with its fields in range; null if not. */
function parseParams(untrusted: unknown): TeeParam[] | null {
  if (!Array.isArray(untrusted) || untrusted.length > TEE_MAX_PARAMS) return null;
  const out: TeeParam[] = [];
  for (const item of [...untrusted]) {
    const p: Record<string, unknown> | null = isRecord(item) ? { ...item } : null;
    if (!p || typeof p.type !== 'string' || !Object.hasOwn(PARAM_FIELDS, p.type) || !onlyFields(p, PARAM_FIELDS[p.type])) return null;
    if (p.type === 'none') out.push({ type: 'none' });
    else if (p.type.startsWith('value-')) {
      if (!intIn(p.a, U32) || !intIn(p.b, U32)) return null;
      out.push({ type: p.type as ValueDir, a: p.a, b: p.b });
    } else {
      if (!u64(p.handle) || !intIn(p.offset, U32) || !intIn(p.size, U32)) return null;
      out.push({ type: p.type as MemrefDir, handle: p.handle, offset: p.offset, size: p.size });
    }
  }
  return out;
}
// #endregion parse-request

/** Shorthands for building requests (tests, examples, the guest-side client). */
export const param = {
  none: (): TeeParam => ({ type: 'none' }),
  value: (a: number, b = 0): TeeParam => ({ type: 'value-input', a, b }),
  valueOut: (): TeeParam => ({ type: 'value-output', a: 0, b: 0 }),
  memIn: (handle: bigint, offset: number, size: number): TeeParam => ({ type: 'memref-input', handle, offset, size }),
  memOut: (handle: bigint, offset: number, size: number): TeeParam => ({ type: 'memref-output', handle, offset, size }),
};
