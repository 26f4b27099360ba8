// Turns a fully acknowledged checkpoint into its metadata: one entry per subtask (its handle, or
// that it had finished) and one per operator uid with the parallelism it ran at. Pure.

import type { CheckpointMetadata, OperatorMetadata, SnapshotKind, StateHandle, SubtaskStateMetadata } from "../checkpoint/checkpoint-metadata.ts";
import type { JobGraphSpec, SubtaskId } from "../messages/schema.ts";

/** What a subtask acknowledged, or that it had finished before it could. */
export type SubtaskAck =
  | { task: SubtaskId; finished: false; handle?: StateHandle; operatorUids: string[]; references?: number[]; operatorState?: boolean; unionState?: boolean }
  | { task: SubtaskId; finished: true };

export function operatorsOf(jobGraph: JobGraphSpec): OperatorMetadata[] {
  return jobGraph.vertices.flatMap((v) => v.operatorUids.map((uid) => ({ uid, name: v.name, parallelism: v.parallelism, maxParallelism: v.maxParallelism })));
}

export function buildMetadata(args: {
  kind: SnapshotKind;
  jobId: string;
  jobGraph: JobGraphSpec;
  checkpointId: number;
  timestamp: number;
  epoch: number;
  acks: readonly SubtaskAck[];
  unaligned?: boolean;
}): CheckpointMetadata {
  const { jobGraph } = args;
  const subtasks: SubtaskStateMetadata[] = args.acks.map((ack) => {
    const vertex = jobGraph.vertices.find((v) => v.id === ack.task.vertexId);
    const base = { vertexId: ack.task.vertexId, subtaskIndex: ack.task.subtaskIndex, operatorUids: vertex?.operatorUids ?? [] };
    if (ack.finished) return { ...base, finished: true };
    if (!ack.handle) return base;
    return {
      ...base,
      handle: ack.handle,
      ...(ack.references && ack.references.length > 0 ? { references: ack.references } : {}),
      ...(ack.operatorState ? { operatorState: true } : {}),
      ...(ack.unionState ? { unionState: true } : {}),
    };
  });
  subtasks.sort((a, b) => a.vertexId.localeCompare(b.vertexId) || a.subtaskIndex - b.subtaskIndex);
  return {
    format: 1,
    kind: args.kind,
    jobId: args.jobId,
    jobName: jobGraph.jobName,
    checkpointId: args.checkpointId,
    timestamp: args.timestamp,
    epoch: args.epoch,
    operators: operatorsOf(jobGraph),
    subtasks,
    ...(args.unaligned ? { unaligned: true } : {}),
  };
}
