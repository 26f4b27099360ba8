// Opens a KeyedBroadcastProcessOperator with keyed state, timers on a simulated clock and an
// output that records what it emits, and feeds it steps (records on input 0 or 1, watermarks) in order.

import type { KeyedBroadcastProcessFunction } from "../../src/core/broadcast-process-functions.ts";
import type { Bus } from "../../src/bus/bus.ts";
import type { Logger } from "../../src/observability/logger.ts";
import { KeyedBroadcastProcessOperator } from "../../src/operators/broadcast-operators.ts";
import { CurrentTimestamp } from "../../src/operators/operator.ts";
import type { MapStateDescriptor } from "../../src/state/index.ts";
import { operatorTestContext, type EmittedElement } from "../../src/testing/operator-context.ts";

export type Step = { kind: "record"; input: 0 | 1; value: unknown } | { kind: "watermark"; input: 0 | 1; timestamp: number };

export type Emitted = EmittedElement;

export class KeyedBroadcastOperatorForTest {
  readonly emitted: Emitted[] = [];
  readonly timestamp = new CurrentTimestamp();

  private constructor(private readonly operator: KeyedBroadcastProcessOperator<string, unknown, unknown, unknown>) {}

  static async open<IN1, IN2, OUT>(
    fn: KeyedBroadcastProcessFunction<string, IN1, IN2, OUT>,
    keyOf: (record: unknown) => unknown,
    descriptors: MapStateDescriptor<unknown, unknown>[],
    deps: { bus: Bus; log: Logger },
  ): Promise<KeyedBroadcastOperatorForTest> {
    const operator = new KeyedBroadcastProcessOperator(keyOf, fn as KeyedBroadcastProcessFunction<string, unknown, unknown, unknown>, descriptors);
    const harness = new KeyedBroadcastOperatorForTest(operator);
    const { ctx } = operatorTestContext(operator, { emitted: harness.emitted, timestamp: harness.timestamp, recordSideOutputs: false, bus: deps.bus, log: deps.log });
    await operator.open(ctx);
    return harness;
  }

  /** Feeds the steps in order; returns what they made the operator emit. */
  run(steps: readonly Step[]): Emitted[] {
    const from = this.emitted.length;
    for (const step of steps) {
      if (step.kind === "watermark") this.operator.onWatermark(step.timestamp, step.input);
      else {
        this.timestamp.value = undefined;
        this.operator.process(step.value, step.input);
      }
    }
    return this.emitted.slice(from);
  }
}
