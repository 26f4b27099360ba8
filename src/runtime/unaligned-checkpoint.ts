// One unaligned checkpoint in progress at a subtask. It starts at the first barrier (a priority
// frame that overtook everything queued on its channel): the operators' state is captured then,
// and what each input channel had delivered but not yet processed is copied, as is — on channels
// whose barrier has not come yet — everything arriving until it does. It is complete when every
// live channel has delivered the barrier or ended. Receives channel events; sends nothing.

import { PROTOCOL_VERSION, type DataElement, type Frame } from "../messages/schema.ts";
import type { PartitionedOutput } from "./operator-chain.ts";
import type { ChannelStateSnapshot } from "../state/operator-snapshot.ts";
import type { InputChannel } from "./input-gate.ts";
import type { Barrier } from "./subtask-checkpointer.ts";

export class UnalignedCheckpoint {
  private readonly pending = new Set<InputChannel>();
  private readonly inputs = new Map<InputChannel, DataElement[][]>();

  /**
   * `first`: the channel whose priority barrier started it (its buffered frames are all it owes), or
   * none. `delivered`: channels that had already delivered the barrier in-band before an aligned
   * checkpoint switched to unaligned (what they buffer came after it, so they owe nothing).
   * `outputs`: what the outputs had not sent when the barrier overtook it.
   */
  constructor(
    readonly barrier: Barrier,
    channels: readonly InputChannel[],
    first: InputChannel | undefined,
    delivered: ReadonlySet<InputChannel>,
    readonly packedOperators: Uint8Array | undefined,
    readonly outputs: ChannelStateSnapshot["outputs"],
    readonly syncMs: number,
    readonly startedAt: number,
  ) {
    for (const channel of channels) {
      if (delivered.has(channel)) continue;
      const { buffered, sawBarrier } = bufferedBefore(channel, barrier.checkpointId);
      this.inputs.set(channel, buffered);
      if (channel !== first && !channel.ended && !sawBarrier) {
        this.pending.add(channel);
        channel.recording = buffered; // the gate appends what arrives until the barrier does
        channel.recordingFor = barrier.checkpointId;
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

/** A channel's buffered frames up to its in-band barrier of `checkpointId`, if that has arrived but waits to be processed. */
function bufferedBefore(channel: InputChannel, checkpointId: number): { buffered: DataElement[][]; sawBarrier: boolean } {
  const buffered: DataElement[][] = [];
  for (const frame of channel.frames) {
    const at = frame.elements.findIndex((e) => e.kind === "barrier" && e.checkpointId === checkpointId);
    if (at >= 0) {
      buffered.push(frame.elements.slice(0, at));
      return { buffered, sawBarrier: true };
    }
    buffered.push(frame.elements);
  }
  return { buffered, sawBarrier: false };
}

/** In-flight elements worth replaying: barriers and ends are the live channels' business after a restore. */
export function isReplayable(element: DataElement): boolean {
  return element.kind !== "barrier" && element.kind !== "end-of-partition";
}

/**
 * After a restore from an unaligned checkpoint: first what the outputs had not sent (written to
 * their channels again), then what the inputs had not processed (handed to `process` as frames).
 */
export function replayChannelState(
  channels: ChannelStateSnapshot,
  outputs: readonly PartitionedOutput[],
  inputs: readonly InputChannel[],
  process: (channel: InputChannel, frame: Frame) => void,
): void {
  for (const { edgeId, consumer, elements } of channels.outputs) {
    const output = outputs.find((o) => o.edge.id === edgeId);
    const writer = output?.writers[output.consumers.indexOf(consumer)];
    if (!writer) throw new Error(`the restored in-flight data names output ${edgeId}→${consumer}, which this subtask does not have`);
    for (const element of elements) {
      if (element.kind !== "records") writer.emitControl(element);
      else element.records.forEach((record, i) => writer.emit(record, element.timestamps?.[i] ?? undefined));
    }
  }
  for (const { edgeId, producer, elements } of channels.inputs) {
    const channel = inputs.find((c) => c.edgeId === edgeId && c.producer === producer);
    if (!channel) throw new Error(`the restored in-flight data names input ${edgeId}[${producer}], which this subtask does not have`);
    process(channel, { type: "frame", v: PROTOCOL_VERSION, seq: 0, producer, elements: elements.filter(isReplayable) });
  }
}
