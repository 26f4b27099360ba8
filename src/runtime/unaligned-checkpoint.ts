// What one unaligned checkpoint in progress at a subtask has captured: the operators' state and
// what the outputs had not sent (both at its first barrier), and what each input channel had
// delivered but not processed — copied then, and, on channels whose barrier had not come, recorded
// by the input gate until it does. The barrier handler decides when it is complete; this holds data.

import { PROTOCOL_VERSION, type DataElement, type Frame } from "../messages/schema.ts";
import type { PartitionedOutput } from "./operator-chain.ts";
import type { ChannelStateSnapshot } from "../state/operator-snapshot.ts";
import type { InputChannel } from "./input-gate.ts";
import type { Barrier } from "./subtask-checkpointer.ts";

export class UnalignedCapture {
  /** Per input channel that owes data: its frames' elements before the barrier (the gate appends while recording). */
  readonly inputs = new Map<InputChannel, DataElement[][]>();

  constructor(
    readonly barrier: Barrier,
    readonly packedOperators: Uint8Array | undefined,
    readonly outputs: ChannelStateSnapshot["outputs"],
    readonly syncMs: number,
  ) {}

  get checkpointId(): number {
    return this.barrier.checkpointId;
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
    // Handed to the subtask directly, never through the bus: no channel token to check.
    process(channel, { type: "frame", v: PROTOCOL_VERSION, seq: 0, producer, token: "", elements: elements.filter(isReplayable) });
  }
}
