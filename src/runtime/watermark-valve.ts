// Combines the watermarks and stream statuses of one input's channels (Flink's
// StatusWatermarkValve), as a pure object: each method takes one channel's event and returns
// what the input as a whole now says, if anything changed.
//  - The input's watermark is the minimum over its active, aligned channels; it never goes back.
//  - An idle channel is left out of the minimum. A channel that becomes active again rejoins only
//    once its watermark has caught up with the input's (so the input's watermark cannot regress).
//  - The input is idle when every channel is idle; then it outputs the highest channel watermark.
//  - A channel that has ended counts as active with watermark +∞: it never holds the input back.

import type { StreamStatusValue } from "../messages/schema.ts";

export interface ValveOutput {
  /** The input's new watermark, when it advanced. */
  watermark?: number;
  /** The input's new status, when it changed. */
  status?: StreamStatusValue;
}

interface ChannelState {
  watermark: number;
  active: boolean;
  /** Counts in the minimum: active, and caught up with the input's watermark. */
  aligned: boolean;
}

const NOTHING: ValveOutput = Object.freeze({});

export class StatusWatermarkValve {
  private readonly channels: ChannelState[];
  private watermark = -Infinity;
  private status: StreamStatusValue = "active";

  constructor(channelCount: number) {
    if (!Number.isInteger(channelCount) || channelCount < 1) throw new Error(`a valve needs at least one channel, got ${channelCount}`);
    this.channels = Array.from({ length: channelCount }, () => ({ watermark: -Infinity, active: true, aligned: true }));
  }

  get currentWatermark(): number {
    return this.watermark;
  }

  get currentStatus(): StreamStatusValue {
    return this.status;
  }

  inputWatermark(channel: number, watermark: number): ValveOutput {
    const state = this.channels[channel];
    // An idle channel's watermark waits until it is active again; a lower one is stale.
    if (!state.active || watermark <= state.watermark) return NOTHING;
    state.watermark = watermark;
    if (!state.aligned && watermark >= this.watermark) state.aligned = true;
    return this.advanceToMinimum();
  }

  inputStatus(channel: number, status: StreamStatusValue): ValveOutput {
    const state = this.channels[channel];
    if (status === "idle" && state.active) {
      state.active = false;
      state.aligned = false;
      if (this.channels.every((c) => !c.active)) return this.becomeIdle();
      // The channel that held the minimum may have left it.
      return this.advanceToMinimum();
    }
    if (status === "active" && !state.active) {
      state.active = true;
      state.aligned = state.watermark >= this.watermark;
      if (this.status === "idle") {
        this.status = "active";
        return { status: "active" };
      }
    }
    return NOTHING;
  }

  /** The channel ended: it is active, at +∞, and never holds the input back again. */
  endOfInput(channel: number): ValveOutput {
    const state = this.channels[channel];
    const wasIdle = this.status === "idle";
    state.active = true;
    state.aligned = true;
    state.watermark = Infinity;
    const out = this.advanceToMinimum();
    if (!wasIdle) return out;
    this.status = "active";
    return { ...out, status: "active" };
  }

  private advanceToMinimum(): ValveOutput {
    let min = Infinity;
    let any = false;
    for (const c of this.channels) {
      if (!c.aligned) continue;
      any = true;
      if (c.watermark < min) min = c.watermark;
    }
    if (!any || min <= this.watermark) return NOTHING;
    this.watermark = min;
    return { watermark: min };
  }

  private becomeIdle(): ValveOutput {
    this.status = "idle";
    let max = -Infinity;
    for (const c of this.channels) if (c.watermark > max) max = c.watermark;
    if (max > this.watermark) {
      this.watermark = max;
      return { status: "idle", watermark: max };
    }
    return { status: "idle" };
  }
}
