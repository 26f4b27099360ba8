// Settings shared by operators and sinks (name, uid, parallelism), the sink handle, and the
// results of collect(). No dependency on the stream classes, so they can all use it.

import type { StreamNode } from "../graph/stream-graph.ts";
import { isSubjectToken } from "../bus/subjects.ts";

export function setName(node: StreamNode, name: string): void {
  if (!name) throw new Error("name() needs a non-empty name");
  node.name = name;
}

export function setUid(node: StreamNode, uid: string): void {
  if (!isSubjectToken(uid)) throw new Error(`uid ${JSON.stringify(uid)} must use only letters, digits, '-' and '_'`);
  node.uid = uid;
}

export function setParallelism(node: StreamNode, parallelism: number): void {
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new Error(`setParallelism(${parallelism}): parallelism must be a positive integer`);
  if (node.maxAllowedParallelism !== undefined && parallelism > node.maxAllowedParallelism) {
    // Non-parallel sources, and windowAll (all records in one window operator).
    const hint = node.kind === "source" ? "use a parallel source such as fromSequence or fromGenerator" : "it runs with parallelism 1 (use keyBy(...).window(...) to window in parallel)";
    throw new Error(`${node.name} is not parallel: setParallelism(${parallelism}) is not allowed; ${hint}`);
  }
  node.parallelism = parallelism;
}

export function setSlotSharingGroup(node: StreamNode, name: string): void {
  if (!name) throw new Error("slotSharingGroup() needs a non-empty name");
  node.slotSharingGroup = name;
}

export class DataStreamSink {
  /** @internal */
  constructor(private readonly node: StreamNode) {}

  /** @internal */
  get nodeId(): number {
    return this.node.id;
  }
  name(name: string): this {
    setName(this.node, name);
    return this;
  }
  uid(uid: string): this {
    setUid(this.node, uid);
    return this;
  }
  setParallelism(parallelism: number): this {
    setParallelism(this.node, parallelism);
    return this;
  }
  disableChaining(): this {
    this.node.chaining = "never";
    return this;
  }
  /** Runs this sink in the named slot-sharing group: never in a slot with another group's subtasks. */
  slotSharingGroup(name: string): this {
    setSlotSharingGroup(this.node, name);
    return this;
  }
}

/** Results of `collect()`, filled as the job runs. */
export class CollectedStream<T> {
  readonly values: T[] = [];
}
