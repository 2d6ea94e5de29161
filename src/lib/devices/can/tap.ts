// The host's own node on a virtual CAN bus: it puts frames on the bus (another ECU, a gateway,
// a test stimulus) and records every frame it sees. Tests and examples use it to drive guests
// and to watch what reaches the wire.
import type { CanEndpoint, CanNode, CanRxResult, CanSendResult } from './bus.ts';
import { type CanFrame, canFrame, type CanFrameInit } from './frame.ts';

// #region tap
export class CanTap implements CanEndpoint {
  /** Frames the bus delivered to the tap, in bus order, with the node that sent each. */
  readonly received: { frame: CanFrame; from: string }[] = [];
  private node: CanNode | null = null;

  connect(node: CanNode | null): void {
    this.node = node;
  }

  receive(frame: CanFrame, from: CanNode): CanRxResult {
    this.received.push({ frame, from: from.name });
    return 'delivered';
  }

  /** Puts a frame on the bus; a CanFrame is itself a valid init. Throws for a frame no bus could carry. */
  send(frame: CanFrameInit): CanSendResult {
    if (!this.node) return 'detached';
    return this.node.send(canFrame(frame));
  }

  /** Removes and returns the frames received so far. */
  take(): CanFrame[] {
    return this.received.splice(0).map((r) => r.frame);
  }
}
// #endregion tap
