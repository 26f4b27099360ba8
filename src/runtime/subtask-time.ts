// A subtask's event time and stream status on its input side: one StatusWatermarkValve per input
// turns channel watermarks, statuses and ends into input watermarks for the head operator, and
// the subtask's own status (idle when an operator says so or every input is idle) is announced
// downstream whenever it changes.

import type { StreamStatusValue } from "../messages/schema.ts";
import type { StreamStatusControl } from "../operators/operator.ts";
import type { InputChannel } from "./input-gate.ts";
import { StatusWatermarkValve, type ValveOutput } from "./watermark-valve.ts";

export interface SubtaskTimeTargets {
  /** An input's watermark advanced. */
  watermark(timestamp: number, input: number): void;
  /** An input as a whole became idle or active. */
  inputStatus(status: StreamStatusValue, input: number): void;
  /** The subtask's status changed: tell every output channel. */
  announce(status: StreamStatusValue): void;
}

export class SubtaskTime {
  private readonly valves: StatusWatermarkValve[] = [];
  private readonly slots = new Map<InputChannel, { valve: StatusWatermarkValve; index: number; input: number }>();
  private markedIdle = false;
  private announced: StreamStatusValue = "active";

  constructor(channels: readonly InputChannel[], private readonly targets: SubtaskTimeTargets) {
    for (const input of new Set(channels.map((c) => c.inputIndex))) {
      const ofInput = channels.filter((c) => c.inputIndex === input);
      const valve = new StatusWatermarkValve(ofInput.length);
      this.valves[input] = valve;
      ofInput.forEach((channel, index) => this.slots.set(channel, { valve, index, input }));
    }
  }

  /** What operators use to mark the subtask idle or active (sources and assigners with idleness). */
  readonly control: StreamStatusControl = {
    markIdle: () => {
      this.markedIdle = true;
      this.announceIfChanged();
    },
    markActive: () => {
      this.markedIdle = false;
      this.announceIfChanged();
    },
    isIdle: () => this.announced === "idle",
  };

  /** The lowest watermark over the inputs (-Infinity before every input has one; sources have none). */
  get inputWatermark(): number {
    let lowest = Infinity;
    for (const valve of this.valves) if (valve !== undefined && valve.currentWatermark < lowest) lowest = valve.currentWatermark;
    return lowest === Infinity ? -Infinity : lowest;
  }

  onWatermark(channel: InputChannel, timestamp: number): void {
    const slot = this.slots.get(channel)!;
    this.apply(slot.input, slot.valve.inputWatermark(slot.index, timestamp));
  }

  onStatus(channel: InputChannel, status: StreamStatusValue): void {
    const slot = this.slots.get(channel)!;
    this.apply(slot.input, slot.valve.inputStatus(slot.index, status));
  }

  onEndOfInput(channel: InputChannel): void {
    const slot = this.slots.get(channel)!;
    this.apply(slot.input, slot.valve.endOfInput(slot.index));
  }

  private apply(input: number, out: ValveOutput): void {
    if (out.status !== undefined) {
      this.targets.inputStatus(out.status, input);
      this.announceIfChanged();
    }
    if (out.watermark !== undefined) this.targets.watermark(out.watermark, input);
  }

  /** Idle when an operator says so, or when every input is idle. */
  private announceIfChanged(): void {
    const inputsIdle = this.valves.length > 0 && this.valves.every((v) => v === undefined || v.currentStatus === "idle");
    const status: StreamStatusValue = this.markedIdle || inputsIdle ? "idle" : "active";
    if (status === this.announced) return;
    this.announced = status;
    this.targets.announce(status);
  }
}
