// The event time of a two-input operator: the minimum of its inputs' watermarks, leaving out an
// input that is idle (Flink's CombinedWatermarkStatus). Pure; it never goes back.

import type { StreamStatusValue } from "../messages/schema.ts";

export class CombinedWatermark {
  private readonly watermarks = [-Infinity, -Infinity];
  private readonly idle = [false, false];
  private combined = -Infinity;

  get current(): number {
    return this.combined;
  }

  /** Returns the new combined watermark if it advanced. */
  onWatermark(input: number, timestamp: number): number | undefined {
    if (timestamp > this.watermarks[input]) this.watermarks[input] = timestamp;
    return this.advance();
  }

  /** Returns the new combined watermark if the status change let it advance. */
  onStatus(input: number, status: StreamStatusValue): number | undefined {
    this.idle[input] = status === "idle";
    return this.advance();
  }

  private advance(): number | undefined {
    let min = Infinity;
    let any = false;
    for (let i = 0; i < 2; i++) {
      if (this.idle[i]) continue;
      any = true;
      if (this.watermarks[i] < min) min = this.watermarks[i];
    }
    if (!any || min <= this.combined) return undefined;
    this.combined = min;
    return min;
  }
}
