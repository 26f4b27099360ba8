// Opens the operators of one subtask with their state: per chained operator a keyed state backend
// and timer service (keyed operators), an operator state store, each restored from this subtask's
// share of a checkpoint when there is one; CheckpointedFunctions get initializeState before open.

import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JobConfig, JobVertexSpec, SubtaskId, TaskRestore } from "../messages/schema.ts";
import { LmdbKeyedStateBackend } from "../state/lmdb/lmdb-keyed-state-backend.ts";
import type { OperatorContext, StreamOperator } from "../operators/operator.ts";
import type { StreamGraph } from "../graph/stream-graph.ts";
import { functionInitializationContext, isCheckpointedFunction } from "../state/checkpointed-function.ts";
import type { KeyedStateBackend } from "../state/keyed-state-backend.ts";
import { HeapKeyedStateBackend } from "../state/heap-keyed-state-backend.ts";
import { HeapOperatorStateStore } from "../state/operator-state.ts";
import { decodeSubtaskSnapshot, restoredStateFor, type OldSubtaskSnapshot, type RestoredOperatorState, type SubtaskSnapshot } from "../state/operator-snapshot.ts";
import { applyIncrementalChain, type IncrementalSnapshot } from "../state/lmdb/incremental-snapshots.ts";
import { KeyedTimerService, type TimeDomain } from "../state/timer-service.ts";
import type { StateHandle } from "../checkpoint/checkpoint-metadata.ts";
import type { Clock } from "../core/clock.ts";
import { keyGroupRangeFor, type KeyGroupRange } from "../core/key-groups.ts";
import type { OperatorSlot } from "./subtask-checkpointer.ts";

type ReadState = (handle: StateHandle) => Promise<Uint8Array>;

/** Reads the old subtasks' snapshots a restore names (all of them, in parallel), incremental chains resolved. */
export async function readRestoredSnapshots(restore: TaskRestore, readState: ReadState): Promise<OldSubtaskSnapshot[]> {
  return Promise.all(
    restore.subtasks
      .filter((s) => s.handle !== undefined)
      .map(async (s) => {
        const what = `state of ${s.vertexId}[${s.subtaskIndex}] in checkpoint ${restore.checkpointId}`;
        const snapshot = decodeSubtaskSnapshot(await readState(s.handle!), what);
        await materializeKeyedDeltas(snapshot, readState, what);
        return { vertexId: s.vertexId, subtaskIndex: s.subtaskIndex, snapshot };
      }),
  );
}

/** An incremental snapshot's keyed state: its chain's deltas (from a full one) and its own, applied in order. */
async function materializeKeyedDeltas(snapshot: SubtaskSnapshot, readState: ReadState, what: string): Promise<void> {
  if (!snapshot.operators.some((o) => o.keyedDelta !== undefined)) return;
  const links = await Promise.all((snapshot.chain ?? []).map(async (link) => decodeSubtaskSnapshot(await readState(link.handle), `${what} (builds on checkpoint ${link.checkpointId})`)));
  for (const operator of snapshot.operators) {
    if (!operator.keyedDelta) continue;
    const earlier = links.map((l) => l.operators.find((o) => o.uid === operator.uid)?.keyedDelta).filter((d): d is IncrementalSnapshot => d !== undefined);
    operator.keyed = applyIncrementalChain(undefined, [...earlier, operator.keyedDelta]);
    delete operator.keyedDelta;
  }
}

/** What a restored operator's share is, or undefined on a fresh start. */
export function restoredShare(uid: string, restore: TaskRestore | undefined, old: readonly OldSubtaskSnapshot[], subtaskIndex: number, parallelism: number): RestoredOperatorState | undefined {
  if (!restore) return undefined;
  const oldParallelism = restore.operators.find((o) => o.uid === uid)?.parallelism ?? 0;
  if (oldParallelism === 0) return undefined; // the operator is new in this job
  return restoredStateFor(uid, old, oldParallelism, subtaskIndex, parallelism);
}

export interface OpenSlotOptions {
  task: SubtaskId;
  config: JobConfig;
  vertex: JobVertexSpec;
  streamGraph: StreamGraph;
  clock: Clock;
  nodeId: number;
  uid: string;
  operator: StreamOperator;
  restored: RestoredOperatorState | undefined;
  /** Builds the operator's context from the state it was given. */
  context: (state: Pick<OperatorContext, "keyedState" | "timers" | "operatorState">) => OperatorContext;
  /** Runs a timer callback, failing the subtask if it throws. */
  guard: (fn: () => void) => void;
}

/** The job's keyed state backend for one operator of this subtask: heap, or LMDB in its own directory. */
function createKeyedStateBackend(options: OpenSlotOptions, keyGroupRange: KeyGroupRange): KeyedStateBackend {
  const { task, vertex, clock, uid, config } = options;
  const common = { maxParallelism: vertex.maxParallelism, keyGroupRange, clock };
  if (config.stateBackend !== "lmdb") return new HeapKeyedStateBackend(common);
  const directory = join(config.stateDir ?? tmpdir(), "weir-state", task.jobId, `${uid}-${task.subtaskIndex}-${task.attempt}`);
  return new LmdbKeyedStateBackend({ ...common, directory });
}

/** Creates the operator's state (restored or fresh), initializes a CheckpointedFunction, opens the operator. */
export async function openSlot(options: OpenSlotOptions): Promise<OperatorSlot> {
  const { task, vertex, streamGraph, clock, nodeId, uid, operator, restored } = options;
  const keyed = streamGraph.node(nodeId).keySelectors !== undefined;
  const range = keyGroupRangeFor(task.subtaskIndex, vertex.parallelism, vertex.maxParallelism);
  const keyedState = keyed ? createKeyedStateBackend(options, range) : undefined;
  const timers = keyed
    ? new KeyedTimerService(clock, () => keyedState!.currentKey, (ts: number, key: unknown, domain: TimeDomain) => options.guard(() => operator.onTimer?.(ts, key, domain)))
    : undefined;
  if (keyedState && restored) keyedState.restore(restored.keyed);
  const operatorState = new HeapOperatorStateStore(restored?.operatorState);
  const fn = operator.userFunction;
  if (isCheckpointedFunction(fn)) await fn.initializeState(functionInitializationContext(operatorState, keyedState));
  await operator.open(options.context({ keyedState, timers, operatorState }));
  // Timers come back after open, so none fires into an operator that is not ready.
  if (timers && restored) timers.restoreKeyGroups(restored.timers, range);
  return { uid, operator, keyedState, timers, operatorState };
}
