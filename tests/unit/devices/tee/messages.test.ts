// Reading a guest's request: each operation's fields, each way a request is malformed, and the
// copy the relay acts on.
import { describe, expect, it } from 'vitest';
import { param, parseRequest, TEE_MAX_PARAMS } from '../../../../src/lib/devices/tee/messages.ts';
import { originName, RELAY_ERROR_NAMES, RELAY_ERRORS, teecName } from '../../../../src/lib/devices/tee/results.ts';

const UUID = '6b657973-746f-7265-8000-415650544545';

describe('TEE relay requests', () => {
  it('reads each operation', () => {
    const reqs = [
      { op: 'open-session', vmId: 1, ta: UUID, params: [] },
      { op: 'invoke', vmId: 1, session: 0xffff_ffff, command: 0, params: [param.value(1, 2), param.valueOut(), param.memIn(5n, 0, 8), param.none()] },
      { op: 'close-session', vmId: 0xffff, session: 0 },
      { op: 'register-shm', vmId: 1, address: 0x1000, size: 0 },
      { op: 'unregister-shm', vmId: 1, handle: (1n << 64n) - 1n },
    ];
    for (const r of reqs) expect(parseRequest(r)).toEqual({ ok: true, req: r });
  });

  it.each([
    ['null', null, 'bad-op'],
    ['an array', [], 'bad-op'],
    ['an unknown op', { op: 'OPEN_SESSION', vmId: 1 }, 'bad-op'],
    ['a VM ID past 16 bits', { op: 'close-session', vmId: 0x10000, session: 1 }, 'bad-field'],
    ['a negative session', { op: 'close-session', vmId: 1, session: -1 }, 'bad-field'],
    ['a session past 32 bits', { op: 'close-session', vmId: 1, session: 2 ** 32 }, 'bad-field'],
    ['a session as a string', { op: 'close-session', vmId: 1, session: '1' }, 'bad-field'],
    ['a TA that is not a UUID', { op: 'open-session', vmId: 1, ta: 'keystore', params: [] }, 'bad-field'],
    ['an upper-case UUID', { op: 'open-session', vmId: 1, ta: UUID.toUpperCase(), params: [] }, 'bad-field'],
    ['a handle as a number', { op: 'unregister-shm', vmId: 1, handle: 5 }, 'bad-field'],
    ['a handle past 64 bits', { op: 'unregister-shm', vmId: 1, handle: 1n << 64n }, 'bad-field'],
    ['a fractional size', { op: 'register-shm', vmId: 1, address: 0, size: 0.5 }, 'bad-field'],
    ['an unsafe address', { op: 'register-shm', vmId: 1, address: 2 ** 53, size: 1 }, 'bad-field'],
    ['no parameter list', { op: 'open-session', vmId: 1, ta: UUID }, 'bad-field'],
    ['parameters not in a list', { op: 'open-session', vmId: 1, ta: UUID, params: {} }, 'bad-param'],
    ['too many parameters', { op: 'open-session', vmId: 1, ta: UUID, params: Array(TEE_MAX_PARAMS + 1).fill(param.none()) }, 'bad-param'],
    ['a value past 32 bits', { op: 'open-session', vmId: 1, ta: UUID, params: [{ type: 'value-input', a: 2 ** 32, b: 0 }] }, 'bad-param'],
    ['a memref without a handle', { op: 'open-session', vmId: 1, ta: UUID, params: [{ type: 'memref-input', offset: 0, size: 1 }] }, 'bad-param'],
    ['a memref offset past 32 bits', { op: 'open-session', vmId: 1, ta: UUID, params: [{ type: 'memref-input', handle: 1n, offset: 2 ** 32, size: 1 }] }, 'bad-param'],
    ['an extra field in a parameter', { op: 'open-session', vmId: 1, ta: UUID, params: [{ type: 'none', a: 1 }] }, 'bad-param'],
  ])('refuses %s', (_what, raw, reason) => {
    expect(parseRequest(raw)).toMatchObject({ ok: false, reason });
  });

  it('reads each field once, so a field that changes as it is read cannot pass one check and fail another', () => {
    let reads = 0;
    const raw = { op: 'close-session', vmId: 1, get session() { reads++; return reads === 1 ? 5 : -1; } };
    expect(parseRequest(raw)).toEqual({ ok: true, req: { op: 'close-session', vmId: 1, session: 5 } });
    expect(reads).toBe(1);
    expect(parseRequest({ op: 'x'.repeat(100), vmId: 1 })).toEqual({ ok: false, reason: 'bad-op', label: 'x'.repeat(24) });
  });

  it('acts on a copy: changing the request after it was read changes nothing', () => {
    const p = { type: 'memref-input', handle: 1n, offset: 0, size: 8 };
    const raw = { op: 'invoke', vmId: 1, session: 3, command: 2, params: [p] };
    const parsed = parseRequest(raw);
    raw.session = 4;
    p.size = 4096;
    expect(parsed).toEqual({ ok: true, req: { op: 'invoke', vmId: 1, session: 3, command: 2, params: [{ type: 'memref-input', handle: 1n, offset: 0, size: 8 }] } });
  });

  it('maps every refusal to one GlobalPlatform code, and names codes and origins', () => {
    for (const n of RELAY_ERROR_NAMES) expect(RELAY_ERRORS[n] >>> 0).toBeGreaterThanOrEqual(0xffff0000);
    expect(teecName(RELAY_ERRORS['foreign-handle'])).toBe('ITEM_NOT_FOUND');
    expect(teecName(0x12345678)).toBe('0x12345678');
    expect([1, 2, 3, 4, 9].map(originName)).toEqual(['API', 'COMMS', 'TEE', 'TA', '9']);
  });
});
