// The aligned region's resting state: no aligned checkpoint in progress. The first in-band barrier
// of a checkpoint newer than any seen starts aligning it (exactly-once) or collecting its barriers
// (at-least-once); an abort notice for a checkpoint not yet seen gives it up in advance.

import type { AlignedHandlers } from "./barrier-handler.ts";
import { beginAlignment } from "./aligning.ts";

export interface Waiting {
  readonly kind: "waiting";
  /** The newest checkpoint whose barriers were handled, taken or given up: older barriers are ignored. */
  readonly lastSeen: number;
}

export const waiting: AlignedHandlers = {
  onBarrier(step, channel, barrier, now) {
    const { aligned } = step.state;
    if (aligned.kind !== "waiting" || barrier.checkpointId <= aligned.lastSeen) return step; // already taken, aborted or overtaken
    return beginAlignment(step, channel, barrier, now);
  },
  onEndOfPartition: (step) => step,
  onAlignmentTimeout: (step) => step,
  onAbort(step, checkpointId) {
    const { aligned } = step.state;
    if (aligned.kind !== "waiting" || checkpointId <= aligned.lastSeen) return step;
    step.state = { ...step.state, aligned: { kind: "waiting", lastSeen: checkpointId } };
    step.effects.push({ kind: "aborted", checkpointId });
    return step;
  },
};
