// Drives one window operator by hand, as a trace: records with timestamps, watermarks and
// processing time on a simulated clock, with everything it emits recorded in order. No cluster,
// no real time: the same trace always gives the same output, processing-time windows included.

import { InProcessBus } from "../../src/bus/in-process-bus.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { CurrentTimestamp, type OperatorContext } from "../../src/operators/operator.ts";
import { SimulatedClock } from "../../src/runtime/clock.ts";
import { KeyedStateBackend } from "../../src/state/keyed-state-backend.ts";
import { KeyedTimerService } from "../../src/state/timer-service.ts";
import type { WindowOperator } from "../../src/windowing/index.ts";

export type Step =
  | { kind: "record"; value: unknown; timestamp: number | undefined }
  | { kind: "watermark"; timestamp: number }
  | { kind: "time"; now: number };

/** What the operator emitted, in order: records (main or side, with their timestamps) and watermarks. */
export type Emitted =
  | { kind: "record"; value: unknown; timestamp: number | undefined }
  | { kind: "side"; tag: string; value: unknown; timestamp: number | undefined }
  | { kind: "watermark"; timestamp: number };

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
  const emitted: Emitted[] = [];
  const timestamp = new CurrentTimestamp();
  const state = new KeyedStateBackend();
  const clock = new SimulatedClock(start);
  const metrics = new MetricRegistry();
  const timers = new KeyedTimerService(clock, () => state.currentKey, (ts, key, domain) => operator.onTimer(ts, key, domain));
  const ctx: OperatorContext = {
    jobId: "job",
    taskName: "window",
    subtaskIndex: 0,
    parallelism: 1,
    maxParallelism: 128,
    attempt: 0,
    output: {
      collect: (value) => emitted.push({ kind: "record", value, timestamp: timestamp.value }),
      collectSide: (tag, value) => emitted.push({ kind: "side", tag, value, timestamp: timestamp.value }),
      emitWatermark: (ts) => emitted.push({ kind: "watermark", timestamp: ts }),
    },
    timestamp,
    streamStatus: { markIdle: () => undefined, markActive: () => undefined, isIdle: () => false },
    fail: (error) => {
      throw error;
    },
    clock,
    log: silentLogger(),
    metrics,
    bus: new InProcessBus(),
    keyedState: state,
    timers,
  };
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
