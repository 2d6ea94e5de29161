// Properties of the GPU device under malformed requests. Whatever a driver puts on the controlq
// and the cursorq (random command types, fields, flags, fences, cuts of the request into
// buffers, response buffer sizes), the device never throws and never needs a reset; a request
// with room for a header gets exactly one response header of an OK or ERR type, echoing the
// fence when asked; and the resources that exist are exactly those an independent statement of
// the create/unref rules says should.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../support/rings.ts';
import { cut } from '../support/cut.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import { GpuDevice, GPU_CONTROLQ, GPU_CURSORQ } from '../../src/lib/devices/gpu/device.ts';
import { GpuDriver } from '../../src/lib/devices/gpu/driver.ts';
import * as P from '../../src/lib/devices/gpu/protocol.ts';

const TYPES = [
  P.VIRTIO_GPU_CMD_GET_DISPLAY_INFO, P.VIRTIO_GPU_CMD_RESOURCE_CREATE_2D, P.VIRTIO_GPU_CMD_RESOURCE_UNREF, P.VIRTIO_GPU_CMD_SET_SCANOUT,
  P.VIRTIO_GPU_CMD_RESOURCE_FLUSH, P.VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D, P.VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING,
  P.VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING, P.VIRTIO_GPU_CMD_GET_CAPSET_INFO, P.VIRTIO_GPU_CMD_GET_CAPSET, P.VIRTIO_GPU_CMD_GET_EDID,
  P.VIRTIO_GPU_CMD_CTX_CREATE, P.VIRTIO_GPU_CMD_SUBMIT_3D, P.VIRTIO_GPU_CMD_UPDATE_CURSOR, P.VIRTIO_GPU_CMD_MOVE_CURSOR,
];
const FORMATS = [...P.GPU_FORMATS.keys(), 0, 5, 0xffffffff];

interface Req {
  type: number;
  cursorq: boolean;
  fields: number[];
  fence: boolean;
  fenceId: bigint;
  flagsExtra: number;
  truncate: number; // bytes cut off the end (0: whole request)
  cuts: number[];
  resp: number;
}

const field = fc.oneof({ weight: 4, arbitrary: fc.nat(4) }, { weight: 2, arbitrary: fc.nat(80) }, { weight: 1, arbitrary: fc.constantFrom(...FORMATS) }, { weight: 1, arbitrary: fc.constant(0xffffffff) });

const reqArb: fc.Arbitrary<Req> = fc.record({
  type: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...TYPES) }, { weight: 1, arbitrary: fc.nat(0xffff) }),
  cursorq: fc.boolean(),
  fields: fc.array(field, { minLength: 0, maxLength: 12 }),
  fence: fc.boolean(),
  fenceId: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  flagsExtra: fc.constantFrom(0, 0, 0, P.VIRTIO_GPU_FLAG_INFO_RING_IDX, 0x80000000),
  truncate: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(60) }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
  resp: fc.oneof({ weight: 6, arbitrary: fc.constant(2048) }, { weight: 1, arbitrary: fc.constantFrom(0, 1, 23, 24, 40, 407) }),
});

describe.each(RING_TYPES)('GPU device under malformed requests (%s ring)', (ring) => {
  it('[AVP-GPU-17] [AVP-GPU-12] [AVP-GPU-13] [AVP-GPU-18] [AVP-GPU-16] never throws or needs a reset, answers every answerable request once, and keeps exactly the resources the rules allow', () => {
    fc.assert(
      fc.property(fc.array(reqArb, { minLength: 1, maxLength: 20 }), (reqs) => {
        const dev = new GpuDevice({ scanouts: 2, capsets: [{ id: 4, maxVersion: 0, data: new Uint8Array(16) }], limits: { hostMemory: 1 << 16 } });
        const lb = new Loopback(dev, { ring, memSize: 1 << 20 });
        const drv = new GpuDriver(lb);
        const model = new Map<number, number>(); // resource id -> bytes
        for (const r of reqs) {
          const flags = (r.fence ? P.VIRTIO_GPU_FLAG_FENCE : 0) | r.flagsExtra;
          const whole = P.gpuRequest(r.type, r.fields, { flags, fenceId: r.fenceId });
          const bytes = whole.subarray(0, Math.max(0, whole.length - r.truncate));
          const queue = r.cursorq ? GPU_CURSORQ : GPU_CONTROLQ;
          const parts = cut(bytes, r.cuts);
          if (parts.length === 0 && r.resp === 0) continue;
          const res = drv.raw(queue, parts, r.resp);
          expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
          if (r.resp < 24) {
            expect(res.len).toBe(0);
            continue;
          }
          expect(res.hdr).not.toBeNull();
          const type = res.hdr!.type;
          expect((type >= 0x1100 && type <= 0x1106) || (type >= 0x1200 && type <= 0x1205)).toBe(true);
          const headerOk = bytes.length >= 24;
          if (headerOk && r.fence) expect(res.hdr!.fenceId).toBe(r.fenceId);
          if (!headerOk) expect(type).toBe(P.VIRTIO_GPU_RESP_ERR_UNSPEC);
          // The create/unref rules, stated independently of the device's code.
          const f = (i: number) => r.fields[i] ?? 0;
          const complete = bytes.length >= 24 + 4 * (r.type === P.VIRTIO_GPU_CMD_RESOURCE_CREATE_2D ? 4 : 2);
          // ring_idx is always 0 here and CONTEXT_INIT is negotiated (the device has a capset), so
          // VIRTIO_GPU_FLAG_INFO_RING_IDX is valid; unknown flag bits are ignored.
          if (r.type === P.VIRTIO_GPU_CMD_RESOURCE_CREATE_2D && !r.cursorq && complete) {
            const [id, fmt, w, h] = [f(0), f(1), f(2), f(3)];
            const size = w * h * 4;
            const used = [...model.values()].reduce((a, b) => a + b, 0);
            const ok = id !== 0 && !model.has(id) && P.GPU_FORMATS.has(fmt) && w > 0 && h > 0 && w <= 16384 && h <= 16384 && used + size <= 1 << 16;
            if (ok) expect(type).toBe(P.VIRTIO_GPU_RESP_OK_NODATA);
            else expect(type).not.toBe(P.VIRTIO_GPU_RESP_OK_NODATA);
            if (ok) model.set(id, size);
          } else if (r.type === P.VIRTIO_GPU_CMD_RESOURCE_UNREF && !r.cursorq && complete) {
            const ok = model.has(f(0));
            expect(type).toBe(ok ? P.VIRTIO_GPU_RESP_OK_NODATA : P.VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
            model.delete(f(0));
          }
        }
        expect(dev.resourceCount).toBe(model.size);
        expect(dev.hostBytes).toBe([...model.values()].reduce((a, b) => a + b, 0));
        expect(lb.error).toBeNull();
      }),
      { numRuns: 150 },
    );
  });
});
