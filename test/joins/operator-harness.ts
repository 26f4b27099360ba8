// Drives one keyed two-input operator by hand, as a trace: records with timestamps and watermarks
// on input 0 or 1, in a fixed order, with everything it emits recorded in order. No cluster, no
// timing: the same trace always gives the same output.

import type { StreamOperator } from "../../src/operators/operator.ts";
import type { KeyedStateBackend } from "../../src/state/keyed-state-backend.ts";
import type { KeyedTimerService } from "../../src/state/timer-service.ts";
import { operatorTestContext, type EmittedElement } from "../../src/testing/operator-context.ts";

export type Step =
  | { kind: "record"; input: 0 | 1; value: unknown; timestamp: number | undefined }
  | { kind: "watermark"; input: 0 | 1; timestamp: number }
  | { kind: "status"; input: 0 | 1; status: "idle" | "active" };

/** What the operator emitted: records (main or side, with their timestamp) and watermarks, in order. */
export type Emitted = EmittedElement;

export const left = (value: unknown, timestamp: number | undefined): Step => ({ kind: "record", input: 0, value, timestamp });
export const right = (value: unknown, timestamp: number | undefined): Step => ({ kind: "record", input: 1, value, timestamp });
export const watermark = (input: 0 | 1, timestamp: number): Step => ({ kind: "watermark", input, timestamp });
export const status = (input: 0 | 1, value: "idle" | "active"): Step => ({ kind: "status", input, status: value });

export interface Harness {
  readonly emitted: Emitted[];
  readonly state: KeyedStateBackend;
  readonly timers: KeyedTimerService;
  /** Feeds the steps in order; returns what they made the operator emit. */
  run(steps: readonly Step[]): Emitted[];
}

/** Opens `operator` with keyed state, timers on a simulated clock, and an output that records. */
export async function harness(operator: StreamOperator): Promise<Harness> {
  const { ctx, emitted, timestamp, state, timers } = operatorTestContext(operator);
  await operator.open(ctx);
  return {
    emitted,
    state,
    timers,
    run(steps) {
      const from = emitted.length;
      for (const step of steps) {
        if (step.kind === "watermark") operator.onWatermark(step.timestamp, step.input);
        else if (step.kind === "status") operator.onInputStatus?.(step.status, step.input);
        else {
          timestamp.value = step.timestamp;
          operator.process(step.value, step.input);
        }
      }
      return emitted.slice(from);
    },
  };
}
