// Checkpoint barrier alignment for one subtask's input channels, as a pure state machine (the
// idea of Flink's SingleCheckpointBarrierHandler): each method takes one channel event and
// returns the next state and what the subtask must do. Exactly-once blocks a channel that has
// delivered barrier n until every live channel has; at-least-once never blocks.
//
//   idle ──barrier n──▶ aligning n ──all live channels delivered n──▶ idle  (checkpoint n taken)
//                           │ barrier m > n / cancel n
//                           └──────────────▶ (n aborted) aligning m / idle

export type AlignmentMode = "exactly-once" | "at-least-once";

export type AlignerState =
  | { kind: "idle"; lastSeen: number }
  | { kind: "aligning"; checkpointId: number; arrived: ReadonlySet<number>; lastSeen: number };

/** What the subtask does after an event: take or abort checkpoints, block or release channels. */
export interface AlignerActions {
  /** Checkpoints to take now (barriers aligned). */
  trigger: number[];
  /** Checkpoints given up (a newer barrier, a cancel marker, or a channel that ended mid-way did not help). */
  abort: number[];
  /** Channels to stop reading until released. */
  block: number[];
  /** Release every blocked channel. */
  releaseAll: boolean;
}

export interface AlignerStep {
  state: AlignerState;
  actions: AlignerActions;
}

const none = (): AlignerActions => ({ trigger: [], abort: [], block: [], releaseAll: false });

export const initialAlignerState: AlignerState = { kind: "idle", lastSeen: 0 };

export class BarrierAligner {
  /** `liveChannels`: the channels that have not ended; the aligner keeps its own copy. */
  constructor(private readonly mode: AlignmentMode, private readonly liveChannels: Set<number>) {}

  onBarrier(state: AlignerState, checkpointId: number, channel: number): AlignerStep {
    // A barrier of a checkpoint already taken, aborted or superseded: nothing to do.
    if (checkpointId <= state.lastSeen && !(state.kind === "aligning" && state.checkpointId === checkpointId)) return { state, actions: none() };
    const actions = none();
    let arrived: Set<number>;
    if (state.kind === "aligning" && state.checkpointId === checkpointId) arrived = new Set(state.arrived);
    else {
      if (state.kind === "aligning") {
        actions.abort.push(state.checkpointId);
        actions.releaseAll = this.mode === "exactly-once";
      }
      arrived = new Set();
    }
    arrived.add(channel);
    return this.settle({ kind: "aligning", checkpointId, arrived, lastSeen: checkpointId }, actions, channel);
  }

  /** A cancel marker: checkpoint `checkpointId` is aborted upstream. */
  onCancel(state: AlignerState, checkpointId: number): AlignerStep {
    if (checkpointId < state.lastSeen || (checkpointId === state.lastSeen && state.kind === "idle")) return { state, actions: none() };
    const actions = none();
    if (state.kind === "aligning") {
      actions.releaseAll = this.mode === "exactly-once";
      if (state.checkpointId !== checkpointId) actions.abort.push(state.checkpointId);
    }
    actions.abort.push(checkpointId);
    return { state: { kind: "idle", lastSeen: checkpointId }, actions };
  }

  /** A channel ended: it no longer has to deliver barriers, which may complete an alignment. */
  onEndOfPartition(state: AlignerState, channel: number): AlignerStep {
    this.liveChannels.delete(channel);
    if (state.kind !== "aligning") return { state, actions: none() };
    return this.settle(state, none(), undefined);
  }

  private settle(state: Extract<AlignerState, { kind: "aligning" }>, actions: AlignerActions, justArrived: number | undefined): AlignerStep {
    const complete = [...this.liveChannels].every((c) => state.arrived.has(c));
    if (complete) {
      actions.trigger.push(state.checkpointId);
      if (this.mode === "exactly-once") actions.releaseAll = true;
      return { state: { kind: "idle", lastSeen: state.checkpointId }, actions };
    }
    if (this.mode === "exactly-once" && justArrived !== undefined) actions.block.push(justArrived);
    return { state, actions };
  }
}
