// Drives one window operator by hand, as a trace: records with timestamps, watermarks and
// processing time on a simulated clock, with everything it emits recorded in order. No cluster,
// no real time: the same trace always gives the same output, processing-time windows included.

import type { MetricRegistry } from "../../src/observability/metrics.ts";
import type { KeyedStateBackend } from "../../src/state/keyed-state-backend.ts";
import type { KeyedTimerService } from "../../src/state/timer-service.ts";
import { operatorTestContext, type EmittedElement } from "../../src/testing/operator-context.ts";
import type { WindowOperator } from "../../src/windowing/index.ts";

export type Step =
  | { kind: "record"; value: unknown; timestamp: number | undefined }
  | { kind: "watermark"; timestamp: number }
  | { kind: "time"; now: number };

/** What the operator emitted, in order: records (main or side, with their timestamps) and watermarks. */
export type Emitted = EmittedElement;

export const record = (value: unknown, timestamp?: number): Step => ({ kind: "record", value, timestamp });
export const watermark = (timestamp: number): Step => ({ kind: "watermark", timestamp });
/** Moves processing time to `now`, firing due processing-time timers. */
export const time = (now: number): Step => ({ kind: "time", now });

export interface WindowHarness {
  readonly emitted: Emitted[];
  readonly state: KeyedStateBackend;
  readonly timers: KeyedTimerService;
  readonly metrics: MetricRegistry;
  /** Feeds the steps in order; returns what they made the operator emit. */
  run(steps: readonly Step[]): Emitted[];
  /** Only the main-output values emitted by `steps`. */
  values(steps: readonly Step[]): unknown[];
}

/** Opens `operator` with keyed state, timers on a simulated clock starting at `start`, and an output that records. */
export async function windowHarness(operator: WindowOperator, start = 0): Promise<WindowHarness> {
  const { ctx, emitted, timestamp, clock, state, timers, metrics } = operatorTestContext(operator, { start, taskName: "window" });
  await operator.open(ctx);
  const run = (steps: readonly Step[]): Emitted[] => {
    const from = emitted.length;
    for (const step of steps) {
      if (step.kind === "watermark") operator.onWatermark(step.timestamp, 0);
      else if (step.kind === "time") clock.advanceTo(step.now);
      else {
        timestamp.value = step.timestamp;
        operator.process(step.value);
      }
    }
    return emitted.slice(from);
  };
  return {
    emitted,
    state,
    timers,
    metrics,
    run,
    values: (steps) => run(steps).flatMap((e) => (e.kind === "record" ? [e.value] : [])),
  };
}
