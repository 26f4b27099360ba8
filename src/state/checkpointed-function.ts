// CheckpointedFunction (Flink's): a user function that keeps operator state of its own. The runtime
// calls initializeState once before open() (fresh or restored) and snapshotState at each
// checkpoint, before the operator's state stores are snapshotted.

import type { KeyedStateStore } from "../core/keyed-state.ts";
import type { OperatorStateStore } from "./operator-state.ts";

export interface FunctionSnapshotContext {
  readonly checkpointId: number;
  /** When the checkpoint was triggered (the coordinator's clock, ms). */
  readonly checkpointTimestamp: number;
}

export interface FunctionInitializationContext {
  /** True when the state stores were restored from a checkpoint or savepoint. */
  isRestored(): boolean;
  getOperatorStateStore(): OperatorStateStore;
  /** The keyed state store, when the function runs on a keyed stream. */
  getKeyedStateStore(): KeyedStateStore | undefined;
}

/**
 * A function with operator state: register states in initializeState (reading what was restored),
 * bring them up to date in snapshotState.
 * @example
 * class BufferingSink implements CheckpointedFunction {
 *   private buffer: string[] = [];
 *   private state!: ListState<string>;
 *   initializeState(ctx: FunctionInitializationContext): void {
 *     this.state = ctx.getOperatorStateStore().getListState(new ListStateDescriptor<string>("buffer"));
 *     if (ctx.isRestored()) this.buffer = this.state.get();
 *   }
 *   snapshotState(): void {
 *     this.state.update(this.buffer);
 *   }
 * }
 */
export interface CheckpointedFunction {
  /** Runs at the barrier, while input waits: it must finish synchronously. */
  snapshotState(ctx: FunctionSnapshotContext): void;
  initializeState(ctx: FunctionInitializationContext): void | Promise<void>;
}

export function isCheckpointedFunction(fn: unknown): fn is CheckpointedFunction {
  if (typeof fn !== "object" || fn === null) return false;
  const candidate = fn as Partial<Record<keyof CheckpointedFunction, unknown>>;
  return typeof candidate.snapshotState === "function" && typeof candidate.initializeState === "function";
}

/** The context initializeState receives. */
export function functionInitializationContext(
  operatorState: OperatorStateStore & { readonly isRestored: boolean },
  keyedState?: KeyedStateStore,
): FunctionInitializationContext {
  return {
    isRestored: () => operatorState.isRestored,
    getOperatorStateStore: () => operatorState,
    getKeyedStateStore: () => keyedState,
  };
}

/** A function or operator told when checkpoints complete or are aborted (Flink's CheckpointListener). */
export interface CheckpointListener {
  notifyCheckpointComplete(checkpointId: number): void | Promise<void>;
  notifyCheckpointAborted?(checkpointId: number): void | Promise<void>;
}

export function isCheckpointListener(fn: unknown): fn is CheckpointListener {
  return typeof fn === "object" && fn !== null && typeof (fn as Partial<CheckpointListener>).notifyCheckpointComplete === "function";
}
