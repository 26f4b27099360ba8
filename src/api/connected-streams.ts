// Two connected streams (connect()): CoMap, CoFlatMap, CoProcess, and — once both sides are keyed
// with keyBy(keyA, keyB) — KeyedCoProcess with keyed state and timers.

import { CoFlatMapOperator, CoMapOperator, CoProcessOperator } from "../operators/process.ts";
import type { StreamOperator } from "../operators/operator.ts";
import { KeyedCoProcessFunction } from "../joins/keyed-co-process-function.ts";
import { KeyedCoProcessOperator } from "../joins/keyed-co-process-operator.ts";
import { KeyedStream, SingleOutputStreamOperator, type DataStream } from "./data-stream.ts";
import type { StreamEnvironmentInternals } from "./environment-internals.ts";
import type { CoFlatMapFunction, CoMapFunction, KeySelector } from "../core/functions.ts";
import { subtaskCopies } from "./subtask-copies.ts";
import type { CoProcessFunction } from "../core/process-functions.ts";

export class ConnectedStreams<A, B> {
  /** @internal */
  constructor(private readonly env: StreamEnvironmentInternals, private readonly first: DataStream<A>, private readonly second: DataStream<B>) {}

  /**
   * Keys both inputs: each side is hash-partitioned by its own key selector, so records of both
   * sides with equal keys meet in one subtask, and `process(keyedCoProcessFunction)` gets keyed state and timers.
   */
  keyBy<K>(keyA: KeySelector<A, K>, keyB: KeySelector<B, K>): ConnectedStreams<A, B> {
    return new ConnectedStreams<A, B>(this.env, this.first.keyBy(keyA), this.second.keyBy(keyB));
  }

  map<O>(fn: CoMapFunction<A, B, O>): SingleOutputStreamOperator<O> {
    const copies = subtaskCopies(fn, "map()");
    return this.transform<O>("CoMap", () => new CoMapOperator(copies()));
  }

  flatMap<O>(fn: CoFlatMapFunction<A, B, O>): SingleOutputStreamOperator<O> {
    const copies = subtaskCopies(fn, "flatMap()");
    return this.transform<O>("CoFlatMap", () => new CoFlatMapOperator(copies()));
  }

  /** A CoProcessFunction; or, when both inputs are keyed, a KeyedCoProcessFunction with keyed state and timers. */
  process<O, K = unknown>(fn: CoProcessFunction<A, B, O> | KeyedCoProcessFunction<K, A, B, O>): SingleOutputStreamOperator<O> {
    if (!(fn instanceof KeyedCoProcessFunction)) {
      const copies = subtaskCopies(fn, "process()");
      return this.transform<O>("CoProcess", () => new CoProcessOperator(copies()));
    }
    const keys = this.keySelectors();
    if (!keys) throw new Error("a KeyedCoProcessFunction needs keyed inputs: call keyBy(keyA, keyB) on the connected streams first");
    const copies = subtaskCopies(fn, "process()");
    return this.transform<O>("KeyedCoProcess", () => new KeyedCoProcessOperator(keys[0], keys[1], copies()), keys);
  }

  /** @internal Adds a two-input operator; with key selectors (one per input) it gets keyed state and timers. */
  transform<O>(name: string, createOperator: () => StreamOperator, keySelectors?: [KeySelector<unknown, unknown>, KeySelector<unknown, unknown>]): SingleOutputStreamOperator<O> {
    const node = this.env.graph.addNode({ name, kind: "operator", chaining: "always", createOperator, keySelectors });
    this.first.connectInputs(node.id, 0);
    this.second.connectInputs(node.id, 1);
    return new SingleOutputStreamOperator<O>(this.env, node);
  }

  /** Both inputs' key selectors, when both inputs are keyed. */
  private keySelectors(): [KeySelector<unknown, unknown>, KeySelector<unknown, unknown>] | undefined {
    if (!(this.first instanceof KeyedStream) || !(this.second instanceof KeyedStream)) return undefined;
    return [this.first.getKeySelector() as KeySelector<unknown, unknown>, this.second.getKeySelector() as KeySelector<unknown, unknown>];
  }
}

