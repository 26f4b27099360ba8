// The barrier handler of one subtask, as a pure state machine (the idea of Flink's
// SingleCheckpointBarrierHandler and its handler states): `transition(state, event, now)` returns
// the next state and the effects the subtask carries out (block, release, snapshot, record, …).
// It receives channel events and checkpoint notices; it sends nothing and touches no channel.
//
// Two regions, each in one state at a time (one file per state):
//   aligned:   waiting ──barrier n──▶ aligning n (exactly-once) | at-least-once n ──all live channels──▶ waiting
//                                        │ barrier m > n / abort n ──▶ (n aborted) aligning m / waiting
//                                        └ aligned-checkpoint timeout / upstream switched ──▶ waiting  + switched n
//   unaligned: none ──priority barrier n──▶ unaligned n ──every live channel delivered n──▶ none (n completed)
//              none ──alignment switched──▶ switched n ──every channel that owed data delivered n──▶ none

import type { DataElement } from "../../messages/schema.ts";
import { aligning, type Aligning } from "./aligning.ts";
import { atLeastOnce, type AtLeastOnce } from "./at-least-once.ts";
import { switched, type Switched } from "./switched.ts";
import { unaligned, type Unaligned } from "./unaligned.ts";
import { waiting, type Waiting } from "./waiting.ts";

export type Barrier = Extract<DataElement, { kind: "barrier" }>;
export type AlignmentMode = "exactly-once" | "at-least-once";

export interface BarrierHandlerState {
  readonly mode: AlignmentMode;
  /** Aligned barriers that arrive later than this after their trigger (and alignments this long) switch to unaligned. */
  readonly alignedTimeoutMs?: number;
  /** How many input channels the subtask has (a source has none). */
  readonly channels: number;
  /** Channels that have not ended (their end-of-partition was not yet processed). */
  readonly live: ReadonlySet<number>;
  /** The newest unaligned checkpoint started here: priority barriers up to it are old news. */
  readonly lastUnaligned: number;
  readonly aligned: Waiting | Aligning | AtLeastOnce;
  readonly unaligned?: Unaligned | Switched;
}

/**
 * `settled`: the channels that owe an unaligned checkpoint nothing more than what they buffer
 * (the checkpoint's in-band barrier, or their end, is already queued on them).
 */
export type BarrierEvent =
  /** A source injects a barrier between two polls (it has no input channels). */
  | { type: "inject"; barrier: Barrier }
  /** An in-band barrier reached the front of `channel`. */
  | { type: "barrier"; channel: number; barrier: Barrier }
  /** A priority barrier (unaligned, or an overdue aligned one) arrived on `channel`, ahead of what it buffers. */
  | { type: "priority-barrier"; channel: number; barrier: Barrier; settled: readonly number[] }
  /** A recording channel's in-band barrier of `checkpointId` arrived: the recording is complete. */
  | { type: "recorded-barrier"; channel: number; checkpointId: number }
  | { type: "end-of-partition"; channel: number }
  /** The aligned-checkpoint timeout of `checkpointId` expired while it was aligning. */
  | { type: "alignment-timeout"; checkpointId: number; settled: readonly number[] }
  /** The checkpoint was aborted (a notice from the coordinator). */
  | { type: "abort"; checkpointId: number }
  /** Capturing the operators' state for an unaligned checkpoint failed (it was declined). */
  | { type: "capture-failed"; checkpointId: number };

export type BarrierEffect =
  | { kind: "block"; channel: number }
  /** Every blocked channel is read again. */
  | { kind: "release-all" }
  /** Take the aligned snapshot now, then forward the barrier. */
  | { kind: "snapshot"; barrier: Barrier; alignmentMs: number }
  /** An aligned checkpoint given up here (overtaken or aborted): nothing to undo, the coordinator knows. */
  | { kind: "aborted"; checkpointId: number }
  /**
   * Capture the operators and the outputs' unsent data and send the barrier ahead; copy what
   * `copy` channels buffer before the barrier; record what arrives on `record` channels until it does.
   */
  | { kind: "start-unaligned"; barrier: Barrier; copy: readonly number[]; record: readonly number[] }
  | { kind: "stop-recording"; channel: number }
  | { kind: "complete-unaligned"; checkpointId: number; alignmentMs: number }
  /** Give up an unaligned checkpoint a newer one overtook (it is declined). */
  | { kind: "abandon-unaligned"; checkpointId: number; reason: string }
  | { kind: "start-alignment-timer"; checkpointId: number; delayMs: number }
  | { kind: "cancel-alignment-timer" }
  | { kind: "count-alignment-timeout" };

export interface BarrierStep {
  state: BarrierHandlerState;
  effects: BarrierEffect[];
}

export function initialBarrierState(options: { mode: AlignmentMode; alignedTimeoutMs?: number; channels: number }): BarrierHandlerState {
  const live = new Set(Array.from({ length: options.channels }, (_, i) => i));
  return { mode: options.mode, alignedTimeoutMs: options.alignedTimeoutMs, channels: options.channels, live, lastUnaligned: 0, aligned: { kind: "waiting", lastSeen: 0 } };
}

// Looked up when an event comes (the state files import this one's shared steps).
const alignedStates = (): Record<BarrierHandlerState["aligned"]["kind"], AlignedHandlers> => ({ waiting, aligning, "at-least-once": atLeastOnce });
const unalignedStates = (): Record<Unaligned["kind"] | Switched["kind"], UnalignedHandlers> => ({ unaligned, switched });

/** The one entry point: the next state and what to do, for one event at time `now`. */
export function transition(state: BarrierHandlerState, event: BarrierEvent, now: number): BarrierStep {
  const step: BarrierStep = { state, effects: [] };
  const region = state.unaligned ? unalignedStates()[state.unaligned.kind] : undefined;
  switch (event.type) {
    case "inject":
      if (event.barrier.unaligned) return startUnaligned(step, event.barrier, { first: undefined, delivered: [], settled: [] }, now);
      step.effects.push({ kind: "snapshot", barrier: event.barrier, alignmentMs: 0 });
      return step;
    case "barrier":
      return handlerOf(state).onBarrier(step, event.channel, event.barrier, now);
    case "priority-barrier":
      return onPriorityBarrier(step, event, now);
    case "recorded-barrier":
      return state.unaligned?.checkpointId === event.checkpointId ? region!.channelDone(step, event.channel, now) : step;
    case "end-of-partition": {
      const live = new Set(state.live);
      live.delete(event.channel);
      step.state = { ...state, live };
      handlerOf(step.state).onEndOfPartition(step, now);
      return step.state.unaligned ? unalignedStates()[step.state.unaligned.kind].channelDone(step, event.channel, now) : step;
    }
    case "alignment-timeout":
      return handlerOf(state).onAlignmentTimeout(step, event.checkpointId, event.settled, now);
    case "abort":
      if (state.unaligned?.checkpointId === event.checkpointId) {
        region!.cancel(step);
        step.effects.push({ kind: "aborted", checkpointId: event.checkpointId });
      }
      return handlerOf(step.state).onAbort(step, event.checkpointId);
    case "capture-failed":
      if (state.unaligned?.checkpointId === event.checkpointId) region!.cancel(step);
      return step;
  }
}

/** The handlers of an aligned-region state; each returns the step it was given, updated. */
export interface AlignedHandlers {
  onBarrier(step: BarrierStep, channel: number, barrier: Barrier, now: number): BarrierStep;
  onEndOfPartition(step: BarrierStep, now: number): BarrierStep;
  onAlignmentTimeout(step: BarrierStep, checkpointId: number, settled: readonly number[], now: number): BarrierStep;
  onAbort(step: BarrierStep, checkpointId: number): BarrierStep;
}

/** The handlers of an unaligned-region state. */
export interface UnalignedHandlers {
  /** `channel` delivered the checkpoint's barrier or ended: it owes nothing more. */
  channelDone(step: BarrierStep, channel: number, now: number): BarrierStep;
  /** Stops recording (aborted, declined or overtaken). */
  cancel(step: BarrierStep): BarrierStep;
}

function handlerOf(state: BarrierHandlerState): AlignedHandlers {
  return alignedStates()[state.aligned.kind];
}

/**
 * A priority barrier is handled on arrival: it completes a channel of the unaligned checkpoint in
 * progress, or starts a newer one (overtaking the one in progress, and switching an alignment of
 * the same checkpoint that upstream already switched).
 */
function onPriorityBarrier(step: BarrierStep, event: Extract<BarrierEvent, { type: "priority-barrier" }>, now: number): BarrierStep {
  const { barrier, channel, settled } = event;
  const id = barrier.checkpointId;
  const current = step.state.unaligned;
  if (current?.checkpointId === id) return unalignedStates()[current.kind].channelDone(step, channel, now);
  if (id <= step.state.lastUnaligned) return step; // an old one, already done or given up
  if (current) {
    unalignedStates()[current.kind].cancel(step);
    step.effects.push({ kind: "abandon-unaligned", checkpointId: current.checkpointId, reason: `checkpoint ${id} started before it completed` });
  }
  const aligned = step.state.aligned;
  if (aligned.kind !== "waiting" && aligned.checkpointId === id) return switchToUnaligned(step, barrier, channel, settled, now);
  if (id <= (aligned.kind === "waiting" ? aligned.lastSeen : aligned.checkpointId)) return step;
  // The in-band barriers of this checkpoint, still queued, are now only markers for the recording.
  if (aligned.kind !== "waiting") endAlignment(step, aligned);
  step.state = { ...step.state, aligned: { kind: "waiting", lastSeen: id } };
  if (!barrier.unaligned) step.effects.push({ kind: "count-alignment-timeout" });
  return startUnaligned(step, { ...barrier, unaligned: true }, { first: channel, delivered: [], settled }, now);
}

/**
 * An aligned checkpoint took too long to align (or upstream switched it): take it unaligned now.
 * The channels that delivered the barrier are released (what they buffer came after it); the
 * others owe what they buffer and what arrives until their barrier.
 */
export function switchToUnaligned(step: BarrierStep, barrier: Barrier, first: number | undefined, settled: readonly number[], now: number): BarrierStep {
  const aligned = step.state.aligned;
  if (aligned.kind === "waiting") return step;
  step.state = { ...step.state, aligned: { kind: "waiting", lastSeen: aligned.checkpointId } };
  endAlignment(step, aligned);
  step.effects.push({ kind: "count-alignment-timeout" });
  if (step.state.unaligned) {
    const overtaken = step.state.unaligned;
    unalignedStates()[overtaken.kind].cancel(step);
    step.effects.push({ kind: "abandon-unaligned", checkpointId: overtaken.checkpointId, reason: `checkpoint ${barrier.checkpointId} started before it completed` });
  }
  return startUnaligned(step, { ...barrier, unaligned: true }, { first, delivered: [...aligned.arrived], settled, switched: true }, now);
}

/** Leaves an alignment without taking its checkpoint: its blocked channels are read again. */
export function endAlignment(step: BarrierStep, aligned: Aligning | AtLeastOnce): void {
  step.effects.push({ kind: "cancel-alignment-timer" });
  if (aligned.kind === "aligning") step.effects.push({ kind: "release-all" });
}

/**
 * Starts an unaligned checkpoint: every live channel that did not deliver the barrier owes what it
 * buffers before it; those whose barrier (or end) is not queued yet also owe what arrives until it does.
 */
function startUnaligned(step: BarrierStep, barrier: Barrier, from: { first: number | undefined; delivered: readonly number[]; settled: readonly number[]; switched?: true }, now: number): BarrierStep {
  const state = step.state;
  const copy: number[] = [];
  const record: number[] = [];
  for (let channel = 0; channel < state.channels; channel++) {
    if (from.delivered.includes(channel)) continue;
    copy.push(channel);
    if (channel !== from.first && state.live.has(channel) && !from.settled.includes(channel)) record.push(channel);
  }
  const checkpointId = barrier.checkpointId;
  step.effects.push({ kind: "start-unaligned", barrier, copy, record });
  const progress = { checkpointId, pending: new Set(record), startedAt: now };
  step.state = {
    ...state,
    lastUnaligned: checkpointId,
    unaligned: { kind: from.switched ? "switched" : "unaligned", ...progress },
  };
  if (record.length === 0) return unalignedStates()[step.state.unaligned!.kind].channelDone(step, -1, now);
  return step;
}
