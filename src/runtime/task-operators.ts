// Opens the operators of one subtask in chain order, each with its state restored from this
// subtask's share of a checkpoint, and creates a source subtask's reader from its share of the
// restored splits (and, for a source with a split enumerator, its line to the enumerator). The
// slots it returns are what the SubtaskCheckpointer snapshots.

import type { DeploymentBinding } from "../messages/deployment-binding.ts";
import type { Bus } from "../bus/bus.ts";
import type { Logger } from "../observability/logger.ts";
import type { MetricRegistry } from "../observability/metrics.ts";
import type { ChannelStateSnapshot } from "../state/operator-snapshot.ts";
import { HeapOperatorStateStore } from "../state/operator-state.ts";
import type { JobGraphSpec, JobVertexSpec, SubtaskId, TaskRestore } from "../messages/schema.ts";
import type { OperatorContext, StreamOperator } from "../operators/operator.ts";
import type { SourceReader } from "../operators/source.ts";
import type { StreamGraph } from "../graph/stream-graph.ts";
import type { CheckpointIo } from "./checkpoint-io.ts";
import type { Clock } from "../core/clock.ts";
import type { BuiltChain } from "./operator-chain.ts";
import { openSlot, readRestoredSnapshots, restoredShare } from "./operator-slots.ts";
import type { OperatorSlot } from "./subtask-checkpointer.ts";
import { SplitReaderLink } from "./split-reader-link.ts";
import type { Rejections } from "../messages/rejections.ts";

export interface TaskOperatorsOptions {
  bus: Bus;
  clock: Clock;
  log: Logger;
  metrics: MetricRegistry;
  task: SubtaskId;
  vertex: JobVertexSpec;
  jobGraph: JobGraphSpec;
  streamGraph: StreamGraph;
  restore?: TaskRestore;
  binding: DeploymentBinding;
  checkpointIo?: CheckpointIo;
  chain: BuiltChain;
  /** What every operator's context shares with the subtask (the record's timestamp, stream status, fail, wakeInput). */
  shared: Pick<OperatorContext, "timestamp" | "streamStatus" | "fail" | "wakeInput">;
  /** Runs a timer callback, failing the subtask if it throws. */
  guard: (fn: () => void) => void;
  rejections: Rejections;
}

export interface TaskOperators {
  /** The chain's operators, head first. */
  operators: StreamOperator[];
  /** One per operator, and first the source reader's position when this is a source subtask. */
  slots: OperatorSlot[];
  reader?: SourceReader<unknown>;
  /** The reader's line to its split enumerator (sources with one). */
  splitLink?: SplitReaderLink;
  /** In-flight data of the unaligned checkpoint restored from, to replay before anything else. */
  restoredChannels?: ChannelStateSnapshot;
}

/** Opens the operators in order; on failure, those opened so far are in `opened` for the caller to close. */
export async function openTaskOperators(options: TaskOperatorsOptions, opened: TaskOperators): Promise<void> {
  const { task, vertex, jobGraph, streamGraph, clock, log, metrics, bus, restore, checkpointIo, chain } = options;
  if (restore && !checkpointIo) throw new Error("a restore needs checkpoint storage, and none was configured");
  const old = restore && checkpointIo ? await readRestoredSnapshots(restore, checkpointIo.readState) : [];
  opened.restoredChannels = old.find((o) => o.vertexId === vertex.id && o.subtaskIndex === task.subtaskIndex)?.snapshot.channels;
  for (const [index, nodeId] of vertex.nodes.entries()) {
    const operator = chain.operators.get(nodeId);
    if (!operator) continue;
    const uid = vertex.operatorUids[index];
    const restored = restoredShare(uid, restore, old, task.subtaskIndex, vertex.parallelism);
    const slot = await openSlot({
      task,
      config: jobGraph.config,
      vertex,
      streamGraph,
      clock,
      nodeId,
      uid,
      operator,
      restored,
      guard: options.guard,
      context: (state) => ({
        jobId: task.jobId,
        taskName: vertex.name,
        subtaskIndex: task.subtaskIndex,
        parallelism: vertex.parallelism,
        maxParallelism: vertex.maxParallelism,
        attempt: task.attempt,
        output: chain.outputs.get(nodeId)!,
        clock,
        log,
        metrics,
        bus,
        collectKey: options.binding.collectKey,
        checkpointing: jobGraph.config.checkpointing !== undefined,
        checkpointIntervalMs: jobGraph.config.checkpointing?.intervalMs,
        ...options.shared,
        ...state,
      }),
    });
    opened.slots.push(slot);
    opened.operators.push(operator);
  }
  if (!vertex.isSource) return;
  // The source node has no operator of its own: its slot holds only the reader's position.
  const uid = vertex.operatorUids[0];
  const restoredSplits = restoredShare(uid, restore, old, task.subtaskIndex, vertex.parallelism)?.splits;
  const sourceNode = streamGraph.node(vertex.nodes[0]);
  const link = vertex.splitEnumerator ? new SplitReaderLink({ bus, task, token: options.binding.channelToken, rejections: options.rejections, fail: options.shared.fail }) : undefined;
  const reader = sourceNode.source!.createReader({
    subtaskIndex: task.subtaskIndex,
    parallelism: vertex.parallelism,
    clock,
    restoredSplits,
    jobId: task.jobId,
    sourceName: sourceNode.name,
    metrics,
    log,
    ...(link ? { sendSplitRequest: () => link.requestSplits(), sendSourceEvent: (event: unknown) => link.sendEvent(event) } : {}),
  });
  opened.reader = reader;
  if (link) {
    link.attach(reader);
    opened.splitLink = link;
  }
  opened.slots.unshift({ uid, operatorState: new HeapOperatorStateStore(), reader });
}
