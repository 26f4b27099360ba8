// The aligned region while an exactly-once checkpoint aligns: a channel that delivered barrier n
// is blocked until every live channel has (or ended); then the snapshot is taken and all channels
// are released. A newer barrier or an abort gives n up; the aligned-checkpoint timeout switches it.

import type { AlignedHandlers, Barrier, BarrierStep } from "./barrier-handler.ts";
import { endAlignment, switchToUnaligned } from "./barrier-handler.ts";

export interface Aligning {
  readonly kind: "aligning";
  readonly checkpointId: number;
  /** The first barrier's element: the snapshot and the forwarded barrier are made from it. */
  readonly barrier: Barrier;
  /** Channels that delivered the barrier (blocked, for exactly-once). */
  readonly arrived: ReadonlySet<number>;
  readonly startedAt: number;
}

/** The handlers shared by both aligned modes; `blocks`: exactly-once blocks channels that delivered the barrier. */
export function collectingHandlers(kind: "aligning" | "at-least-once"): AlignedHandlers {
  const blocks = kind === "aligning";
  return {
    onBarrier(step, channel, barrier, now) {
      const current = step.state.aligned;
      if (current.kind === "waiting" || barrier.checkpointId < current.checkpointId) return step;
      if (barrier.checkpointId === current.checkpointId) {
        return settle(step, { ...current, arrived: new Set(current.arrived).add(channel) }, blocks ? channel : undefined, now);
      }
      // A newer checkpoint overtook this one: give it up, release, align on the newer one.
      step.effects.push({ kind: "aborted", checkpointId: current.checkpointId });
      endAlignment(step, current);
      return beginAlignment(step, channel, barrier, now);
    },
    onEndOfPartition(step, now) {
      const current = step.state.aligned;
      return current.kind === "waiting" ? step : settle(step, current, undefined, now);
    },
    onAlignmentTimeout(step, checkpointId, settled, now) {
      const current = step.state.aligned;
      if (current.kind === "waiting" || current.checkpointId !== checkpointId) return step;
      return switchToUnaligned(step, current.barrier, undefined, settled, now);
    },
    onAbort(step, checkpointId) {
      const current = step.state.aligned;
      if (current.kind === "waiting" || checkpointId < current.checkpointId) return step;
      endAlignment(step, current);
      if (checkpointId !== current.checkpointId) step.effects.push({ kind: "aborted", checkpointId: current.checkpointId });
      step.effects.push({ kind: "aborted", checkpointId });
      step.state = { ...step.state, aligned: { kind: "waiting", lastSeen: checkpointId } };
      return step;
    },
  };
}

export const aligning = collectingHandlers("aligning");

/** The first barrier of a new checkpoint arrived on `channel`. */
export function beginAlignment(step: BarrierStep, channel: number, barrier: Barrier, now: number): BarrierStep {
  const kind = step.state.mode === "exactly-once" ? "aligning" : "at-least-once";
  const begun = { kind, checkpointId: barrier.checkpointId, barrier, arrived: new Set([channel]), startedAt: now } as const;
  settle(step, begun, kind === "aligning" ? channel : undefined, now);
  const timeout = step.state.alignedTimeoutMs;
  // Savepoints always align: they may be restored at another parallelism.
  if (step.state.aligned.kind !== "waiting" && timeout && barrier.savepointDir === undefined) {
    step.effects.push({ kind: "start-alignment-timer", checkpointId: barrier.checkpointId, delayMs: timeout });
  }
  return step;
}

/** Takes the checkpoint when every live channel has delivered its barrier; otherwise blocks `justArrived`. */
function settle(step: BarrierStep, current: Aligning | Extract<BarrierStep["state"]["aligned"], { kind: "at-least-once" }>, justArrived: number | undefined, now: number): BarrierStep {
  const complete = [...step.state.live].every((c) => current.arrived.has(c));
  if (!complete) {
    step.state = { ...step.state, aligned: current };
    if (justArrived !== undefined) step.effects.push({ kind: "block", channel: justArrived });
    return step;
  }
  step.state = { ...step.state, aligned: { kind: "waiting", lastSeen: current.checkpointId } };
  step.effects.push({ kind: "cancel-alignment-timer" }, { kind: "snapshot", barrier: current.barrier, alignmentMs: now - current.startedAt });
  if (current.kind === "aligning") step.effects.push({ kind: "release-all" });
  return step;
}
