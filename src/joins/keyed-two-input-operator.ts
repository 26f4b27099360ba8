// Base of keyed two-input operators (keyed connect, interval join): receives records on input 0
// or 1, sets the current key with that input's key selector, and combines the two inputs'
// watermarks (the minimum, leaving out an idle input) to drive event-time timers before
// forwarding the combined watermark.

import type { KeySelector } from "../core/functions.ts";
import type { KeyedRuntimeContext } from "../core/process-functions.ts";
import type { KeyedStateBackend } from "../state/keyed-state-backend.ts";
import type { KeyedTimerService, TimeDomain } from "../state/timer-service.ts";
import type { StreamStatusValue } from "../messages/schema.ts";
import { CombinedWatermark } from "../operators/combined-watermark.ts";
import { BaseOperator, runtimeContextOf, type OperatorContext } from "../operators/operator.ts";

/**
 * A sibling of KeyedOperator for two inputs: one key selector per input, so equal keys of both
 * sides share state and timers. The one-input KeyedOperator stays as it is (one selector, no branch).
 */
export abstract class KeyedTwoInputOperator extends BaseOperator {
  protected state!: KeyedStateBackend;
  protected timers!: KeyedTimerService;
  private readonly combined = new CombinedWatermark();

  constructor(
    private readonly keySelector1: KeySelector<unknown, unknown>,
    private readonly keySelector2: KeySelector<unknown, unknown>,
  ) {
    super();
  }

  override open(ctx: OperatorContext): void | Promise<void> {
    super.open(ctx);
    if (!ctx.keyedState || !ctx.timers) throw new Error("a keyed two-input operator needs keyed state and timers: both inputs must be keyed");
    this.state = ctx.keyedState;
    this.timers = ctx.timers;
  }

  process(record: unknown, input: number): void {
    if (input === 0) {
      this.state.setCurrentKey(this.keySelector1(record));
      this.processElement1(record);
    } else {
      this.state.setCurrentKey(this.keySelector2(record));
      this.processElement2(record);
    }
  }

  protected abstract processElement1(record: unknown): void;
  protected abstract processElement2(record: unknown): void;

  /** A timer fired for `key`; the key is not set yet. */
  onTimer(_timestamp: number, _key: unknown, _domain: TimeDomain): void {}

  /** The minimum of both inputs moves event time: due timers fire (in order), then the watermark goes on. */
  override onWatermark(timestamp: number, input: number): void {
    this.advanceTo(this.combined.onWatermark(input, timestamp));
  }

  /** An idle input leaves the minimum, which may let event time advance. */
  onInputStatus(status: StreamStatusValue, input: number): void {
    this.advanceTo(this.combined.onStatus(input, status));
  }

  /** The operator's event time: the combined watermark of both inputs (−∞ before both have one). */
  protected get currentWatermark(): number {
    return this.combined.current;
  }

  private advanceTo(watermark: number | undefined): void {
    if (watermark === undefined) return;
    this.timers.advanceWatermark(watermark);
    this.output.emitWatermark(watermark);
  }

  /** What a user function on this operator sees: where it runs, and the keyed state of the current key. */
  protected keyedRuntimeContext(): KeyedRuntimeContext {
    return runtimeContextOf(this.ctx);
  }
}
