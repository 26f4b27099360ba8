// The aligned region while an at-least-once checkpoint collects its barriers: like aligning, but no
// channel is ever blocked, so records after a barrier are processed before the snapshot (and may
// be counted again after a restore). The snapshot is taken at the last live channel's barrier.

import type { AlignedHandlers } from "./barrier-handler.ts";
import { collectingHandlers, type Aligning } from "./aligning.ts";

export interface AtLeastOnce extends Omit<Aligning, "kind"> {
  readonly kind: "at-least-once";
}

export const atLeastOnce: AlignedHandlers = collectingHandlers("at-least-once");
