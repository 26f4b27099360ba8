// A subtask's part of checkpoints: at a barrier it captures every chained operator's state
// (synchronously, while input waits: user snapshot hooks, keyed state and timers by key group,
// operator state, a source's splits) and encodes it; then, while processing goes on, writes it to
// checkpoint storage and acknowledges to the job master. It also relays completion and abort
// notices to operators and user functions. Sends checkpoint-ack and checkpoint-decline.

import type { Bus } from "../bus/bus.ts";
import { subjects } from "../bus/subjects.ts";
import { encode } from "../messages/codec.ts";
import type { DataElement, JobVertexSpec, SubtaskId } from "../messages/schema.ts";
import type { Logger } from "../observability/logger.ts";
import type { StreamOperator } from "../operators/operator.ts";
import type { SourceReader } from "../operators/source.ts";
import type { StateWriter } from "../checkpoint/checkpoint-storage.ts";
import { isCheckpointedFunction, isCheckpointListener, type FunctionSnapshotContext } from "../state/checkpointed-function.ts";
import type { KeyedStateBackend } from "../state/keyed-state-backend.ts";
import type { HeapOperatorStateStore } from "../state/operator-state.ts";
import { encodeOperatorSnapshots, encodeSubtaskSnapshot, encodeWithKeyedParts, encodeWithPackedOperators, SUBTASK_SNAPSHOT_FORMAT, type ChainLink, type ChannelStateSnapshot, type KeyedParts, type OperatorSnapshot } from "../state/operator-snapshot.ts";
import type { StateHandle } from "../checkpoint/checkpoint-metadata.ts";
import type { KeyedTimerService } from "../state/timer-service.ts";
import type { Clock } from "../core/clock.ts";
import type { MetricRegistry } from "../observability/metrics.ts";

export type Barrier = Extract<DataElement, { kind: "barrier" }>;

/** One chained operator and the state it owns. */
export interface OperatorSlot {
  uid: string;
  /** Absent for a source node, whose only state is its reader's position. */
  operator?: StreamOperator;
  keyedState?: KeyedStateBackend;
  timers?: KeyedTimerService;
  operatorState: HeapOperatorStateStore;
  /** The source reader, on the head of a source subtask. */
  reader?: SourceReader<unknown>;
}

export interface SubtaskCheckpointerOptions {
  bus: Bus;
  clock: Clock;
  log: Logger;
  task: SubtaskId;
  vertex: JobVertexSpec;
  slots: readonly OperatorSlot[];
  /** Where checkpoints go; savepoints go to the directory their barrier names. */
  storage: StateWriter;
  openSavepointStorage: (dir: string) => StateWriter;
  /** LMDB keyed state writes deltas (checkpoints only; savepoints are always full). */
  incremental?: boolean;
  metrics?: MetricRegistry;
}

/** An incremental chain starts again with a full snapshot after this many deltas, so restores stay short. */
export const FULL_SNAPSHOT_EVERY = 8;

/** How one snapshot takes keyed state: full, or as a delta on `chain`. */
interface KeyedPlan {
  incremental: boolean;
  full: boolean;
  chain: ChainLink[];
}

/** A backend taking an operator's keyed state after the barrier: the operator's index in the snapshot, and the taking. */
type LaterKeyedState = [operatorIndex: number, taking: { finish(): Promise<Uint8Array[]> }];

/** What the barrier captured: the snapshot, or its operators encoded and keyed state still being taken. */
interface Captured {
  bytes?: Uint8Array;
  packed?: Uint8Array;
  later?: LaterKeyedState[];
  chain?: ChainLink[];
}

/** What a snapshot holds besides keyed state: a restore reads it from every old subtask only when needed. */
interface StateScope {
  /** Operator list, union or broadcast state, or a source's splits: redistributed when the parallelism changes. */
  operatorState?: true;
  /** Union list state: every new subtask gets every old subtask's, at any parallelism. */
  unionState?: true;
}

function scopeOf(operators: readonly OperatorSnapshot[]): StateScope {
  const scope: StateScope = {};
  if (operators.some((o) => (o.operatorState?.length ?? 0) > 0 || o.splits !== undefined)) scope.operatorState = true;
  if (operators.some((o) => o.operatorState?.some((s) => s.mode === "union"))) scope.unionState = true;
  return scope;
}

export class SubtaskCheckpointer {
  private readonly writes = new Set<Promise<void>>();
  private closed = false;
  /** Incremental: the confirmed snapshots the next delta builds on, and those written but not yet confirmed. */
  private chain: ChainLink[] = [];
  private readonly unconfirmed = new Map<number, { plan: KeyedPlan; handle?: StateHandle }>();
  /** The acknowledgement (or decline) sent for each checkpoint not yet settled, to send again if the coordinator asks. */
  private readonly answers = new Map<number, Uint8Array>();
  /** Per checkpoint being written: whether its state goes beyond keyed state (what a restore must read). */
  private readonly scopes = new Map<number, StateScope>();

  constructor(private readonly options: SubtaskCheckpointerOptions) {}

  /**
   * Takes this subtask's part of the checkpoint the barrier starts: captures and encodes the state
   * now (the caller forwards the barrier afterwards), then stores and acknowledges it in the background.
   */
  snapshot(barrier: Barrier, alignmentMs: number): void {
    const { clock } = this.options;
    const started = clock.now();
    let captured: Captured;
    try {
      captured = this.capture(barrier);
    } catch (error) {
      this.decline(barrier.checkpointId, `capturing the state failed: ${(error as Error).message}`);
      return;
    }
    const syncMs = clock.now() - started;
    const write = this.persistAndAck(barrier, captured.bytes ?? this.finishCapture(captured), { syncMs, alignmentMs }).finally(() => this.writes.delete(write));
    this.writes.add(write);
  }

  /**
   * Unaligned, first half: captures the operators' state now (encoded, so it is a copy) while the
   * in-flight data is still being collected. Returns undefined (and declines) when capturing failed.
   */
  captureOperators(barrier: Barrier): { packed: Uint8Array | undefined; syncMs: number } | undefined {
    const started = this.options.clock.now();
    try {
      const plan = this.planKeyed(barrier);
      const operators = this.operatorSnapshots(barrier, plan);
      return { packed: operators.length > 0 ? encodeOperatorSnapshots(operators) : undefined, syncMs: this.options.clock.now() - started };
    } catch (error) {
      this.decline(barrier.checkpointId, `capturing the state failed: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Unaligned, second half: every barrier has arrived; store the state with the in-flight data and acknowledge. */
  completeUnaligned(barrier: Barrier, packed: Uint8Array | undefined, channels: ChannelStateSnapshot, timing: { syncMs: number; alignmentMs: number }): void {
    const empty = channels.inputs.every((c) => c.elements.length === 0) && channels.outputs.every((c) => c.elements.length === 0);
    const chain = this.unconfirmed.get(barrier.checkpointId)?.plan.chain;
    const bytes = packed === undefined && empty ? undefined : encodeWithPackedOperators(packed, channels, chain);
    const write = this.persistAndAck(barrier, bytes, timing).finally(() => this.writes.delete(write));
    this.writes.add(write);
  }

  /**
   * The coordinator sent checkpoint `checkpointId`'s trigger again: it is still waiting, so the
   * answer this subtask sent may have been lost (NATS delivers at most once). Sends it again; the
   * coordinator ignores a duplicate.
   */
  answerAgain(checkpointId: number): void {
    const answer = this.answers.get(checkpointId);
    if (answer && !this.closed) this.options.bus.publish(subjects.checkpointAcks(this.options.task.jobId), answer);
  }

  /** Gives up this subtask's part of a checkpoint (it could not be completed here). */
  abandon(checkpointId: number, reason: string): void {
    this.decline(checkpointId, reason);
  }

  /** A checkpoint completed or was aborted everywhere: tell operators and user functions. */
  notify(checkpointId: number, outcome: "complete" | "aborted"): void {
    for (const id of this.answers.keys()) if (id <= checkpointId) this.answers.delete(id);
    if (outcome === "complete") this.confirm(checkpointId);
    else this.unconfirmed.delete(checkpointId);
    for (const { operator } of this.options.slots) {
      if (!operator) continue;
      if (outcome === "complete") operator.notifyCheckpointComplete?.(checkpointId);
      else operator.notifyCheckpointAborted?.(checkpointId);
      const fn = operator.userFunction;
      if (!isCheckpointListener(fn)) continue;
      const result = outcome === "complete" ? fn.notifyCheckpointComplete(checkpointId) : fn.notifyCheckpointAborted?.(checkpointId);
      if (result instanceof Promise) result.catch((error: Error) => this.options.log.warn({ err: error, checkpointId }, "a checkpoint listener failed"));
    }
  }

  /** A checkpoint completed: its delta joins the chain the next one builds on; backends forget what it covered. */
  private confirm(checkpointId: number): void {
    for (const { keyedState } of this.options.slots) keyedState?.incremental?.notifyCheckpointComplete(checkpointId);
    const done = this.unconfirmed.get(checkpointId);
    for (const id of this.unconfirmed.keys()) if (id <= checkpointId) this.unconfirmed.delete(id);
    if (!done?.handle) return;
    const link = { checkpointId, handle: done.handle };
    this.chain = done.plan.full ? [link] : [...done.plan.chain, link];
  }

  /** Resolves when every snapshot started so far has been stored and acknowledged (or declined). */
  async settle(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes]);
  }

  close(): void {
    this.closed = true;
  }

  /**
   * Encodes the operators' state now (encoding is the copy: user values may change as soon as input
   * resumes), except keyed state a backend takes after the barrier without stopping the input.
   */
  private capture(barrier: Barrier): Captured {
    const plan = this.planKeyed(barrier);
    const later: LaterKeyedState[] = [];
    const operators = this.operatorSnapshots(barrier, plan, later);
    const chain = plan.incremental ? plan.chain : undefined;
    if (later.length === 0) return { bytes: operators.length > 0 ? encodeSubtaskSnapshot({ format: SUBTASK_SNAPSHOT_FORMAT, operators, chain }) : undefined };
    return { packed: encodeOperatorSnapshots(operators), later, chain };
  }

  /** The snapshot, once the backends have taken their keyed state. */
  private async finishCapture(captured: Captured): Promise<Uint8Array | undefined> {
    const { packed, later = [], chain } = captured;
    const parts: KeyedParts = await Promise.all(later.map(async ([index, taking]): Promise<KeyedParts[number]> => [index, await taking.finish()]));
    return packed === undefined ? undefined : encodeWithKeyedParts(packed, parts, chain);
  }

  /** Incremental checkpoints: a delta on the confirmed chain, or a full snapshot to start a new one. */
  private planKeyed(barrier: Barrier): KeyedPlan {
    const incremental = this.options.incremental === true && barrier.savepointDir === undefined && this.options.slots.some((s) => s.keyedState?.incremental !== undefined);
    const full = this.chain.length === 0 || this.chain.length >= FULL_SNAPSHOT_EVERY;
    const plan = { incremental, full, chain: full ? [] : [...this.chain] };
    if (incremental) this.unconfirmed.set(barrier.checkpointId, { plan });
    if (incremental && !full) this.options.metrics?.counter("weir_checkpoint_incremental_snapshots_total", { job: this.options.task.jobId, vertex: this.options.vertex.id }).inc();
    return plan;
  }

  /** Every chained operator's state that is not empty, after the user snapshot hooks ran. */
  private operatorSnapshots(barrier: Barrier, plan: KeyedPlan, later?: LaterKeyedState[]): OperatorSnapshot[] {
    const context: FunctionSnapshotContext = { checkpointId: barrier.checkpointId, checkpointTimestamp: barrier.timestamp };
    const operators: OperatorSnapshot[] = [];
    for (const slot of this.options.slots) {
      slot.operator?.snapshotState?.(context);
      const fn = slot.operator?.userFunction;
      if (isCheckpointedFunction(fn)) {
        const result: unknown = fn.snapshotState(context);
        if (result instanceof Promise) throw new Error(`${slot.uid}: snapshotState must finish synchronously (it runs while input waits at the barrier)`);
      }
      const snapshot: OperatorSnapshot = { uid: slot.uid };
      const backend = slot.keyedState;
      let taking: { finish(): Promise<Uint8Array[]> } | undefined;
      if (plan.incremental && backend?.incremental) snapshot.keyedDelta = backend.incremental.snapshotIncremental(barrier.checkpointId, { full: plan.full });
      else if (later !== undefined && backend?.asyncSnapshots) taking = backend.asyncSnapshots.beginSnapshot();
      else {
        const keyed = backend?.snapshot();
        if (keyed && keyed.length > 0) snapshot.keyed = keyed;
      }
      const timers = slot.timers?.snapshotKeyGroups(this.options.vertex.maxParallelism);
      if (timers && timers.length > 0) snapshot.timers = timers;
      const operatorState = slot.operatorState.snapshot();
      if (operatorState.length > 0) snapshot.operatorState = operatorState;
      const splits = slot.reader?.snapshotState?.(barrier.checkpointId);
      if (splits !== undefined) snapshot.splits = splits;
      if (taking !== undefined) later!.push([operators.length, taking]);
      if (taking !== undefined || Object.keys(snapshot).length > 1) operators.push(snapshot);
    }
    this.scopes.set(barrier.checkpointId, scopeOf(operators));
    return operators;
  }

  private async persistAndAck(barrier: Barrier, state: Uint8Array | undefined | Promise<Uint8Array | undefined>, timing: { syncMs: number; alignmentMs: number }): Promise<void> {
    const { task, vertex, clock, bus } = this.options;
    const started = clock.now();
    let bytes: Uint8Array | undefined;
    try {
      bytes = await state;
    } catch (error) {
      this.decline(barrier.checkpointId, `capturing the state failed: ${(error as Error).message}`);
      return;
    }
    try {
      const storage = barrier.savepointDir === undefined ? this.options.storage : this.options.openSavepointStorage(barrier.savepointDir);
      const handle = bytes === undefined ? undefined : await storage.writeState(task.jobId, barrier.checkpointId, `${vertex.id}-${task.subtaskIndex}`, bytes);
      if (this.closed) return;
      const stats = { ...timing, asyncMs: clock.now() - started, bytes: bytes?.length ?? 0 };
      const pending = this.unconfirmed.get(barrier.checkpointId);
      if (pending) pending.handle = handle;
      const references = pending && handle ? pending.plan.chain.map((link) => link.checkpointId) : undefined;
      const scope = this.scopes.get(barrier.checkpointId);
      this.scopes.delete(barrier.checkpointId);
      const ack = encode({ type: "checkpoint-ack", jobId: task.jobId, checkpointId: barrier.checkpointId, task, handle, operatorUids: vertex.operatorUids, stats, references, ...(handle ? scope : {}) });
      this.answers.set(barrier.checkpointId, ack);
      bus.publish(subjects.checkpointAcks(task.jobId), ack);
    } catch (error) {
      this.decline(barrier.checkpointId, `storing the state failed: ${(error as Error).message}`);
    }
  }

  private decline(checkpointId: number, reason: string): void {
    const { task, bus, log } = this.options;
    this.scopes.delete(checkpointId);
    this.unconfirmed.delete(checkpointId);
    if (this.closed) return;
    log.warn({ checkpointId, reason }, "declining checkpoint");
    const decline = encode({ type: "checkpoint-decline", jobId: task.jobId, checkpointId, task, reason });
    this.answers.set(checkpointId, decline);
    bus.publish(subjects.checkpointAcks(task.jobId), decline);
  }
}
