// From one command to its reply: the checks every command passes in a fixed order, whatever its
// protocol, before the protocol's own handler runs. The order is the AVP's (SCMI lists the
// statuses a message may return, not which one wins when a command has several faults); fixing
// it makes a device's answers comparable across implementations and conformance vectors
// portable.
import { MSG_TYPE_COMMAND, SCMI_COMMS_ERROR, SCMI_NOT_SUPPORTED, SCMI_PROTOCOL_ERROR, SCMI_SUCCESS, unpackHeader } from './header.ts';
import type { AgentView, ScmiPlatform } from './platform.ts';
import type { AgentSession } from './session.ts';

export interface Reply {
  readonly status: number;
  /** Return values after the status; only on SUCCESS. */
  readonly ret?: Uint8Array;
}

export interface CommandContext {
  readonly platform: ScmiPlatform;
  readonly agent: AgentView;
  readonly session: AgentSession;
  /** VIRTIO_SCMI_F_P2A_CHANNELS was negotiated: the eventq exists. */
  readonly p2a: boolean;
  /** VIRTIO_SCMI_F_SHARED_MEMORY was negotiated. */
  readonly sharedMemory: boolean;
  /** The command's header, as a delayed response needs it. */
  readonly header: number;
  /** Bytes of return values the chain has room for, after the header and the status. */
  readonly room: number;
}

export interface ProtocolHandler {
  readonly protocolId: number;
  /** Parameter bytes of each message the protocol implements. */
  readonly paramSizes: ReadonlyMap<number, number>;
  handle(messageId: number, params: DataView, ctx: CommandContext): Reply;
}

const NO_VALUES = new Uint8Array(0);

export const reply = (status: number, ret?: Uint8Array): Reply => ({ status, ret });

// #region dispatch
/**
 * The reply to one command. `paramLen` is the true size of the parameters in the chain, which
 * may be more than `params` holds (the device reads no more than it can use).
 */
export function dispatch(headerWord: number, params: DataView, paramLen: number, ctx: Omit<CommandContext, 'header'>, protocols: ReadonlyMap<number, ProtocolHandler>): Reply {
  const h = unpackHeader(headerWord);
  // 1. The header: only commands travel on the cmdq, and bits 31:28 are reserved (DEN0056 4.1).
  if (h.type !== MSG_TYPE_COMMAND || h.reserved !== 0) return reply(SCMI_PROTOCOL_ERROR);
  // 2. A protocol this agent cannot see is, to it, a protocol that does not exist.
  const p = protocols.get(h.protocolId);
  if (!p) return reply(SCMI_NOT_SUPPORTED);
  // 3. A message the protocol does not implement.
  const size = p.paramSizes.get(h.messageId);
  if (size === undefined) return reply(SCMI_NOT_SUPPORTED);
  // 4. Parameters of any other size than the message's are a breach of the protocol.
  if (paramLen !== size) return reply(SCMI_PROTOCOL_ERROR);
  // 5. The message's own checks and its work.
  const r = p.handle(h.messageId, params, { ...ctx, header: headerWord });
  if (r.status !== SCMI_SUCCESS) return reply(r.status);
  // 6. Return values that do not fit the device-writable part cannot be sent (§5.17.6.1.2 makes
  //    room the driver's duty; the device says it could not transmit rather than cut them).
  const ret = r.ret ?? NO_VALUES;
  if (ret.length > ctx.room) return reply(SCMI_COMMS_ERROR);
  return reply(SCMI_SUCCESS, ret);
}
// #endregion dispatch

/** How many list entries of `entrySize` bytes fit after a `fixed`-byte count word in `room` bytes. */
export function entriesThatFit(room: number, fixed: number, entrySize: number): number {
  return Math.max(0, Math.floor((room - fixed) / entrySize));
}
