// The unaligned region while an unaligned checkpoint is in progress: its priority barrier
// overtook the queued frames, the operators were captured, and each channel that had not
// delivered the barrier owes what it buffered (copied) and what arrives until its barrier
// (recorded). Complete when every such channel has delivered the barrier or ended.

import type { BarrierStep, UnalignedHandlers } from "./barrier-handler.ts";

export interface Unaligned {
  readonly kind: "unaligned";
  readonly checkpointId: number;
  /** Channels still recording: their barrier has not arrived. */
  readonly pending: ReadonlySet<number>;
  readonly startedAt: number;
}

/** Handlers shared with a switched checkpoint: both wait for the channels that still record. */
export function recordingHandlers(): UnalignedHandlers {
  return {
    channelDone(step, channel, now) {
      const current = step.state.unaligned;
      if (!current) return step;
      let pending = current.pending;
      if (pending.has(channel)) {
        pending = new Set(pending);
        (pending as Set<number>).delete(channel);
        step.effects.push({ kind: "stop-recording", channel });
      }
      if (pending.size > 0) {
        step.state = { ...step.state, unaligned: { ...current, pending } };
        return step;
      }
      step.state = { ...step.state, unaligned: undefined };
      step.effects.push({ kind: "complete-unaligned", checkpointId: current.checkpointId, alignmentMs: now - current.startedAt });
      return step;
    },
    cancel(step: BarrierStep) {
      const current = step.state.unaligned;
      if (!current) return step;
      for (const channel of current.pending) step.effects.push({ kind: "stop-recording", channel });
      step.state = { ...step.state, unaligned: undefined };
      return step;
    },
  };
}

export const unaligned = recordingHandlers();
