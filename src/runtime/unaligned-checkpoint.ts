// One unaligned checkpoint in progress at a subtask. It starts at the first barrier (a priority
// frame that overtook everything queued on its channel): the operators' state is captured then,
// and what each input channel had delivered but not yet processed is copied, as is — on channels
// whose barrier has not come yet — everything arriving until it does. It is complete when every
// live channel has delivered the barrier or ended. Receives channel events; sends nothing.

import type { DataElement } from "../messages/schema.ts";
import type { ChannelStateSnapshot } from "../state/operator-snapshot.ts";
import type { InputChannel } from "./input-gate.ts";
import type { Barrier } from "./subtask-checkpointer.ts";

export class UnalignedCheckpoint {
  private readonly pending = new Set<InputChannel>();
  private readonly inputs = new Map<InputChannel, DataElement[][]>();

  /**
   * `first`: the channel whose barrier started it (its buffered frames are all it owes), or none
   * for a source. `outputs`: what the outputs had not sent when the barrier overtook it.
   */
  constructor(
    readonly barrier: Barrier,
    channels: readonly InputChannel[],
    first: InputChannel | undefined,
    readonly packedOperators: Uint8Array | undefined,
    readonly outputs: ChannelStateSnapshot["outputs"],
    readonly syncMs: number,
    readonly startedAt: number,
  ) {
    for (const channel of channels) {
      const buffered = channel.frames.map((frame) => frame.elements);
      this.inputs.set(channel, buffered);
      if (channel !== first && !channel.ended) {
        this.pending.add(channel);
        channel.recording = buffered; // the gate appends what arrives until the barrier does
      }
    }
  }

  get checkpointId(): number {
    return this.barrier.checkpointId;
  }

  get isComplete(): boolean {
    return this.pending.size === 0;
  }

  /** The channel delivered this checkpoint's barrier, or ended: it owes nothing more. True when complete. */
  channelDone(channel: InputChannel): boolean {
    if (this.pending.delete(channel)) channel.recording = undefined;
    return this.isComplete;
  }

  /** Stops recording (the checkpoint was aborted or superseded). */
  cancel(): void {
    for (const channel of this.pending) channel.recording = undefined;
    this.pending.clear();
  }

  channelState(): ChannelStateSnapshot {
    const inputs = [...this.inputs].map(([channel, frames]) => ({ edgeId: channel.edgeId, producer: channel.producer, elements: frames.flat().filter(isReplayable) }));
    return { inputs, outputs: this.outputs.map((o) => ({ ...o, elements: o.elements.filter(isReplayable) })) };
  }
}

/** In-flight elements worth replaying: barriers and ends are the live channels' business after a restore. */
export function isReplayable(element: DataElement): boolean {
  return element.kind !== "barrier" && element.kind !== "end-of-partition";
}
