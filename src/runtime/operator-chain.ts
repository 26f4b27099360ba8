// Builds the operators of one subtask (the nodes chained into its vertex) and wires their
// outputs: chained edges become direct calls, job edges become partitioned channel writers.

import type { Bus } from "../bus/bus.ts";
import { subjects } from "../bus/subjects.ts";
import type { DataElement, JobEdgeSpec, JobGraphSpec, JobVertexSpec, SubtaskId } from "../messages/schema.ts";
import type { Collector, CurrentTimestamp, Output, StreamOperator } from "../operators/operator.ts";
import type { StreamGraph } from "../graph/stream-graph.ts";
import { ChannelWriter } from "./channel-writer.ts";
import { BROADCAST, createChannelSelector, type ChannelSelector } from "./partitioners.ts";

/** Records go to every collector in `main` (or in `sides[tag]`); watermarks to every watermark target. */
export class ChainOutput implements Output {
  readonly main: Collector<unknown>[] = [];
  readonly sides = new Map<string, Collector<unknown>[]>();
  readonly watermarkTargets: ((timestamp: number) => void)[] = [];
  /** The only main target, when there is exactly one: saves the loop per record. */
  private only: Collector<unknown> | undefined;

  collect(record: unknown): void {
    const only = this.only;
    if (only !== undefined) {
      only.collect(record);
      return;
    }
    const main = this.main;
    for (let i = 0; i < main.length; i++) main[i].collect(record);
  }

  /** As a source's output: splits make no difference here (no watermark operator chained). */
  forSplit(): this {
    return this;
  }
  releaseSplit(): void {}

  /** Adds a main target (called while the chain is built). */
  addMain(collector: Collector<unknown>): void {
    this.main.push(collector);
    this.only = this.main.length === 1 ? collector : undefined;
  }

  collectSide(tag: string, record: unknown): void {
    const targets = this.sides.get(tag);
    if (targets) for (const target of targets) target.collect(record);
  }

  emitWatermark(timestamp: number): void {
    for (const target of this.watermarkTargets) target(timestamp);
  }
}

/** A chained edge: records go straight into the next operator's process(). */
export class ChainedInput implements Collector<unknown> {
  constructor(readonly operator: StreamOperator, readonly input: number) {}
  collect(record: unknown): void {
    this.operator.process(record, this.input);
  }
}

/** The writers of one job edge for one producing subtask, and its channel selector. */
export class PartitionedOutput implements Collector<unknown> {
  constructor(
    readonly edge: JobEdgeSpec,
    readonly consumers: number[],
    readonly writers: ChannelWriter[],
    private readonly selector: ChannelSelector,
    private readonly timestamp: CurrentTimestamp,
  ) {}

  collect(record: unknown): void {
    const channel = this.selector.select(record);
    const timestamp = this.timestamp.value;
    if (channel === BROADCAST) for (const writer of this.writers) writer.emit(record, timestamp);
    else this.writers[channel].emit(record, timestamp);
  }

  /** Sends a control element on one channel, chosen by `cursor` (round robin over calls). */
  sendControlToOne(element: DataElement, cursor: number): void {
    this.writers[cursor % this.writers.length].emitControl(element);
  }

  broadcastControl(element: DataElement): void {
    for (const writer of this.writers) writer.emitControl(element);
  }
}

export interface BuiltChain {
  /** Operators in chain order (head first), by stream node id. */
  operators: Map<number, StreamOperator>;
  outputs: Map<number, ChainOutput>;
  partitioned: PartitionedOutput[];
  writers: ChannelWriter[];
}

export function consumersOf(edge: JobEdgeSpec, jobGraph: JobGraphSpec, producer: number): number[] {
  const target = jobGraph.vertices.find((v) => v.id === edge.target)!;
  if (edge.partitioner.kind === "forward") return [producer];
  return Array.from({ length: target.parallelism }, (_, i) => i);
}

export function producersOf(edge: JobEdgeSpec, jobGraph: JobGraphSpec, consumer: number): number[] {
  const source = jobGraph.vertices.find((v) => v.id === edge.source)!;
  if (edge.partitioner.kind === "forward") return [consumer];
  return Array.from({ length: source.parallelism }, (_, i) => i);
}

export function buildChain(options: {
  bus: Bus;
  task: SubtaskId;
  /** The attempt's channel token, sent in every frame. */
  token: string;
  vertex: JobVertexSpec;
  jobGraph: JobGraphSpec;
  streamGraph: StreamGraph;
  onCredit: () => void;
  timestamp: CurrentTimestamp;
}): BuiltChain {
  const { bus, task, vertex, jobGraph, streamGraph } = options;
  const operators = new Map<number, StreamOperator>();
  const outputs = new Map<number, ChainOutput>();
  for (const nodeId of vertex.nodes) {
    const node = streamGraph.node(nodeId);
    if (node.createOperator) operators.set(nodeId, node.createOperator());
    outputs.set(nodeId, new ChainOutput());
  }
  // Chained edges: direct calls into the next operator.
  const inVertex = new Set(vertex.nodes);
  for (const edge of streamGraph.edges) {
    if (!inVertex.has(edge.source) || !inVertex.has(edge.target)) continue;
    const target = operators.get(edge.target)!;
    const input = edge.inputIndex;
    const collector = new ChainedInput(target, input);
    addTarget(outputs.get(edge.source)!, edge.sideOutput, collector);
    if (!edge.sideOutput) outputs.get(edge.source)!.watermarkTargets.push((ts) => target.onWatermark(ts, input));
  }
  // Job edges: channel writers behind a partitioner.
  const partitioned: PartitionedOutput[] = [];
  const writers: ChannelWriter[] = [];
  for (const edge of jobGraph.edges.filter((e) => e.source === vertex.id)) {
    const consumers = consumersOf(edge, jobGraph, task.subtaskIndex);
    const target = jobGraph.vertices.find((v) => v.id === edge.target)!;
    const edgeWriters = consumers.map(
      (consumer) => new ChannelWriter(bus, subjects.frames(task.jobId, task.attempt, edge.id, consumer, task.subtaskIndex), task.subtaskIndex, options.token, options.onCredit),
    );
    const streamEdge = streamGraph.edges.find((e) => e.source === edge.sourceNode && e.target === edge.targetNode && e.inputIndex === edge.inputIndex && e.sideOutput === edge.sideOutput);
    const selector =
      edge.partitioner.kind === "forward"
        ? { select: () => 0 }
        : createChannelSelector({
            spec: edge.partitioner,
            producerIndex: task.subtaskIndex,
            producerParallelism: vertex.parallelism,
            consumerParallelism: target.parallelism,
            maxParallelism: target.maxParallelism,
            keySelector: streamEdge?.keySelector,
            customPartitioner: streamEdge?.customPartitioner,
          });
    const output = new PartitionedOutput(edge, consumers, edgeWriters, selector, options.timestamp);
    partitioned.push(output);
    writers.push(...edgeWriters);
    addTarget(outputs.get(edge.sourceNode)!, edge.sideOutput, output);
    if (!edge.sideOutput) outputs.get(edge.sourceNode)!.watermarkTargets.push((timestamp) => output.broadcastControl({ kind: "watermark", timestamp }));
  }
  return { operators, outputs, partitioned, writers };
}

function addTarget(output: ChainOutput, sideOutput: string | undefined, collector: Collector<unknown>): void {
  if (!sideOutput) {
    output.addMain(collector);
    return;
  }
  const list = output.sides.get(sideOutput) ?? [];
  list.push(collector);
  output.sides.set(sideOutput, list);
}
