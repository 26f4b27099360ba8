// The broadcast state pattern in the DataStream API: `stream.broadcast(descriptor)` gives a
// BroadcastStream, `other.connect(broadcastStream)` a BroadcastConnectedStream, and `process(fn)`
// the two-input operator. Records of the broadcast side go to every subtask (broadcast partitioner).

import type { KeySelector } from "../core/functions.ts";
import { subtaskCopies } from "./subtask-copies.ts";
import type { StreamEnvironmentInternals } from "./environment-internals.ts";
import type { DataStream } from "./data-stream.ts";
import { SingleOutputStreamOperator } from "./data-stream.ts";
import { BroadcastProcessFunction, KeyedBroadcastProcessFunction } from "../core/broadcast-process-functions.ts";
import { BroadcastProcessOperator, KeyedBroadcastProcessOperator } from "../operators/broadcast-operators.ts";
import type { MapStateDescriptor } from "../core/state-descriptors.ts";
import type { StreamOperator } from "../operators/operator.ts";

/** A stream whose every record reaches every subtask of the operator it is connected to, with the broadcast states it declares. */
export class BroadcastStream<T> {
  /** @internal `input` already carries the broadcast partitioner. */
  constructor(
    private readonly env: StreamEnvironmentInternals,
    readonly input: DataStream<T>,
    readonly descriptors: readonly MapStateDescriptor<unknown, unknown>[],
  ) {
    if (descriptors.length === 0) throw new Error("broadcast(...descriptors) needs at least one MapStateDescriptor");
    const names = descriptors.map((d) => d.name);
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate !== undefined) throw new Error(`broadcast state ${JSON.stringify(duplicate)} is declared twice`);
  }

  /** @internal Connects `data` (keyed when `keySelector` is given) with this stream. */
  connectedTo<IN1>(env: StreamEnvironmentInternals, data: DataStream<IN1>, keySelector?: KeySelector<IN1, unknown>): BroadcastConnectedStream<IN1, T> {
    if (env !== this.env) throw new Error("connect() needs streams of the same StreamExecutionEnvironment");
    return new BroadcastConnectedStream<IN1, T>(env, data, this, keySelector as KeySelector<unknown, unknown> | undefined);
  }
}

/** A (keyed or non-keyed) stream connected with a broadcast stream. */
export class BroadcastConnectedStream<IN1, IN2> {
  /** @internal */
  constructor(
    private readonly env: StreamEnvironmentInternals,
    private readonly data: DataStream<IN1>,
    private readonly broadcastStream: BroadcastStream<IN2>,
    private readonly keySelector: KeySelector<unknown, unknown> | undefined,
  ) {}

  /** Whether the data side is keyed: it then takes a KeyedBroadcastProcessFunction. */
  get isKeyed(): boolean {
    return this.keySelector !== undefined;
  }

  /**
   * A BroadcastProcessFunction on a non-keyed stream, a KeyedBroadcastProcessFunction on a keyed one.
   * @example
   * events.keyBy((e) => e.user).connect(rules.broadcast(ruleState)).process(new ApplyRules());
   */
  process<OUT, K = unknown>(fn: BroadcastProcessFunction<IN1, IN2, OUT> | KeyedBroadcastProcessFunction<K, IN1, IN2, OUT>): SingleOutputStreamOperator<OUT> {
    const descriptors = this.broadcastStream.descriptors;
    const keyOf = this.keySelector;
    if (fn instanceof KeyedBroadcastProcessFunction) {
      if (!keyOf) throw new Error("a KeyedBroadcastProcessFunction needs a keyed stream: call keyBy() before connect(broadcastStream)");
      const copies = subtaskCopies(fn, "process()");
      return this.transform<OUT>("KeyedBroadcastProcess", () => new KeyedBroadcastProcessOperator(keyOf, copies(), descriptors), [keyOf, undefined]);
    }
    if (!(fn instanceof BroadcastProcessFunction)) throw new Error("process() on a broadcast-connected stream needs a BroadcastProcessFunction or a KeyedBroadcastProcessFunction");
    if (keyOf) throw new Error("a keyed stream connected with a broadcast stream needs a KeyedBroadcastProcessFunction");
    const copies = subtaskCopies(fn, "process()");
    return this.transform<OUT>("BroadcastProcess", () => new BroadcastProcessOperator(copies(), descriptors));
  }

  /** Adds the two-input node: the data side on input 0, the broadcast side on input 1. */
  private transform<OUT>(name: string, createOperator: () => StreamOperator, keySelectors?: readonly (KeySelector<unknown, unknown> | undefined)[]): SingleOutputStreamOperator<OUT> {
    const node = this.env.graph.addNode({ name, kind: "operator", chaining: "always", createOperator, keySelectors });
    this.data.connectInputs(node.id, 0);
    this.broadcastStream.input.connectInputs(node.id, 1);
    return new SingleOutputStreamOperator<OUT>(this.env, node);
  }
}
