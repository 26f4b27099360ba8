// The StreamGraph: one node per transformation of the DataStream API, with the user functions
// it holds, and edges carrying partitioners. Built the same way on the client and on every
// worker (node ids are assigned in call order), which is how workers find the user code.

import type { KeySelector } from "../core/functions.ts";
import type { WatermarkAlignment } from "../core/watermark-strategy.ts";
import type { PartitionerSpec } from "../messages/schema.ts";
import type { StreamOperator } from "../operators/operator.ts";
import type { Source } from "../operators/source.ts";
import type { CustomPartitioner } from "../core/functions.ts";

export type ChainingStrategy = "always" | "head" | "never";

export interface StreamNode {
  readonly id: number;
  name: string;
  uid?: string;
  readonly kind: "source" | "operator" | "sink";
  /** Unset means the environment's default. */
  parallelism?: number;
  /** Non-parallel sources pin this to 1. */
  readonly maxAllowedParallelism?: number;
  maxParallelism?: number;
  chaining: ChainingStrategy;
  bufferTimeoutMs?: number;
  /** Set with slotSharingGroup(); unset inherits its inputs' group when they all share one, else "default". */
  slotSharingGroup?: string;
  readonly source?: Source<unknown>;
  /** A watermark operator whose strategy aligns its source's readers (withWatermarkAlignment). */
  readonly watermarkAlignment?: WatermarkAlignment;
  readonly createOperator?: () => StreamOperator;
  /** Keyed operators: the key selector per input; state and timers are scoped by it. */
  readonly keySelectors?: readonly (KeySelector<unknown, unknown> | undefined)[];
}

export interface StreamEdge {
  readonly source: number;
  readonly target: number;
  /** Unset means Flink's default: forward when both sides have the same parallelism, else rebalance. */
  readonly partitioner?: PartitionerSpec;
  readonly keySelector?: KeySelector<unknown, unknown>;
  readonly customPartitioner?: CustomPartitioner;
  readonly sideOutput?: string;
  readonly inputIndex: number;
}

export class StreamGraph {
  readonly nodes = new Map<number, StreamNode>();
  readonly edges: StreamEdge[] = [];
  private nextId = 1;

  addNode(node: Omit<StreamNode, "id">): StreamNode {
    const full: StreamNode = { ...node, id: this.nextId++ };
    this.nodes.set(full.id, full);
    return full;
  }

  addEdge(edge: StreamEdge): void {
    if (!this.nodes.has(edge.source) || !this.nodes.has(edge.target)) throw new Error(`edge ${edge.source} → ${edge.target} names an unknown node`);
    this.edges.push(edge);
  }

  node(id: number): StreamNode {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`no stream node ${id}`);
    return node;
  }

  inputsOf(id: number): StreamEdge[] {
    return this.edges.filter((e) => e.target === id);
  }

  outputsOf(id: number): StreamEdge[] {
    return this.edges.filter((e) => e.source === id);
  }
}
