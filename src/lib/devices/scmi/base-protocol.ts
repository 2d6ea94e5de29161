// The base protocol (0x10, Arm DEN0056 version 3.2, 4.2): how an agent learns the protocol's
// version, the vendor, its own agent ID and which protocols it may use. The model implements
// the discovery messages and no permission messages: in the AVP the platform's configuration
// decides what a guest sees, and no guest changes another's permissions (or its own).
import { SCMI_COMMS_ERROR, SCMI_INVALID_PARAMETERS, SCMI_NOT_FOUND, SCMI_SUCCESS } from './header.ts';
import * as M from './messages.ts';
import { type CommandContext, entriesThatFit, type ProtocolHandler, type Reply, reply } from './dispatch.ts';
import { asciiName } from './sensor-table.ts';

function u32(...words: number[]): Uint8Array {
  const b = new Uint8Array(words.length * 4);
  words.forEach((w, i) => new DataView(b.buffer).setUint32(i * 4, w >>> 0, true));
  return b;
}

/** The protocols an agent may use besides the base protocol, ascending: the sensor protocol if it sees a sensor. */
export function visibleProtocols(ctx: Pick<CommandContext, 'agent'>): number[] {
  return ctx.agent.sensors.length > 0 ? [M.SCMI_PROTOCOL_SENSOR] : [];
}

// #region base-handler
export const baseProtocol: ProtocolHandler = {
  protocolId: M.SCMI_PROTOCOL_BASE,
  paramSizes: M.BASE_PARAM_SIZES,
  handle(id: number, p: DataView, ctx: CommandContext): Reply {
    switch (id) {
      case M.PROTOCOL_VERSION: // DEN0056 4.2.2.1
        return reply(SCMI_SUCCESS, u32(M.BASE_PROTOCOL_VERSION_2_0));
      case M.PROTOCOL_ATTRIBUTES: // 4.2.2.3: bits 15:8 agents, 7:0 protocols besides the base
        return reply(SCMI_SUCCESS, u32((ctx.platform.agents.length << 8) | visibleProtocols(ctx).length));
      case M.PROTOCOL_MESSAGE_ATTRIBUTES: // 4.2.2.4: SUCCESS for an implemented message, NOT_FOUND otherwise
        return M.BASE_PARAM_SIZES.has(p.getUint32(0, true)) ? reply(SCMI_SUCCESS, u32(0)) : reply(SCMI_NOT_FOUND);
      case M.BASE_DISCOVER_VENDOR: // 4.2.2.5
        return reply(SCMI_SUCCESS, asciiName(ctx.platform.vendor));
      case M.BASE_DISCOVER_SUB_VENDOR: // 4.2.2.6
        return reply(SCMI_SUCCESS, asciiName(ctx.platform.subVendor));
      case M.BASE_DISCOVER_IMPLEMENTATION_VERSION: // 4.2.2.7
        return reply(SCMI_SUCCESS, u32(ctx.platform.implementationVersion));
      case M.BASE_DISCOVER_LIST_PROTOCOLS:
        return listProtocols(p.getUint32(0, true), ctx);
      default: // M.BASE_DISCOVER_AGENT
        return discoverAgent(p.getUint32(0, true), ctx);
    }
  },
};
// #endregion base-handler

// #region list-protocols
/**
 * DEN0056 4.2.2.8: the protocols after the first `skip`, four to a 32-bit word, as many as the
 * chain has room for; the agent asks again with a larger skip for the rest.
 */
function listProtocols(skip: number, ctx: CommandContext): Reply {
  const all = visibleProtocols(ctx);
  if (skip > all.length) return reply(SCMI_INVALID_PARAMETERS);
  const rest = all.slice(skip);
  const fit = entriesThatFit(ctx.room, 4, 4) * 4;
  const n = Math.min(rest.length, fit);
  if (n === 0 && rest.length > 0) return reply(SCMI_COMMS_ERROR);
  const b = new Uint8Array(4 + Math.ceil(n / 4) * 4);
  new DataView(b.buffer).setUint32(0, n, true);
  b.set(rest.slice(0, n), 4);
  return reply(SCMI_SUCCESS, b);
}
// #endregion list-protocols

/** DEN0056 4.2.2.10: 0xFFFFFFFF names the caller; 0 the platform, whose name starts with "platform". */
function discoverAgent(id: number, ctx: CommandContext): Reply {
  const a = id === M.BASE_AGENT_ID_SELF ? ctx.agent : id === 0 ? { id: 0, name: 'platform' } : ctx.platform.agents.find((x) => x.id === id);
  if (!a) return reply(SCMI_NOT_FOUND);
  const b = new Uint8Array(4 + M.SCMI_SHORT_NAME_SIZE);
  new DataView(b.buffer).setUint32(0, a.id, true);
  b.set(asciiName(a.name), 4);
  return reply(SCMI_SUCCESS, b);
}
