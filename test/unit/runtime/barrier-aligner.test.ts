// Barrier alignment as traces, in Flink's style: a list of data(ch), barrier(id, ch), cancel(id)
// and end(ch) elements on a subtask's channels, and the expected checkpoint sequence (negative =
// aborted), plus which data the subtask processed in which order.

import { describe, expect, it } from "vitest";
import { BarrierAligner, initialAlignerState, type AlignmentMode } from "../../../src/runtime/barrier-aligner.ts";

type Element = { data: number; ch: number } | { barrier: number; ch: number } | { cancel: number } | { end: number };
const data = (n: number, ch: number): Element => ({ data: n, ch });
const barrier = (id: number, ch: number): Element => ({ barrier: id, ch });
const cancel = (id: number): Element => ({ cancel: id });
const end = (ch: number): Element => ({ end: ch });

/**
 * Runs the trace as a subtask would: elements of a blocked channel wait in its queue and are
 * replayed, in order, when channels are released. Returns checkpoints (negative = aborted) and the
 * order in which data was processed.
 */
function run(mode: AlignmentMode, channels: number, trace: Element[]): { checkpoints: number[]; processed: number[] } {
  const aligner = new BarrierAligner(mode, new Set(Array.from({ length: channels }, (_, i) => i)));
  let state = initialAlignerState;
  const checkpoints: number[] = [];
  const processed: number[] = [];
  const blocked = new Set<number>();
  const waiting: Element[] = [];
  const handle = (element: Element): void => {
    const ch = "ch" in element ? element.ch : "end" in element ? element.end : -1;
    if (ch >= 0 && blocked.has(ch)) {
      waiting.push(element);
      return;
    }
    let step: ReturnType<typeof aligner.onBarrier>;
    if ("data" in element) {
      processed.push(element.data);
      return;
    } else if ("barrier" in element) step = aligner.onBarrier(state, element.barrier, element.ch);
    else if ("cancel" in element) step = aligner.onCancel(state, element.cancel);
    else step = aligner.onEndOfPartition(state, element.end);
    state = step.state;
    for (const id of step.actions.abort) checkpoints.push(-id);
    for (const id of step.actions.trigger) checkpoints.push(id);
    for (const c of step.actions.block) blocked.add(c);
    if (step.actions.releaseAll) {
      blocked.clear();
      const replay = waiting.splice(0);
      for (const e of replay) handle(e);
    }
  };
  for (const element of trace) handle(element);
  return { checkpoints, processed };
}

describe("exactly-once alignment", () => {
  it("takes a checkpoint once every channel has delivered its barrier", () => {
    expect(run("exactly-once", 2, [data(1, 0), barrier(1, 0), data(2, 1), barrier(1, 1), data(3, 0)]).checkpoints).toEqual([1]);
  });

  it("blocks a channel that delivered barrier n until all have: its later data waits for the checkpoint", () => {
    const { checkpoints, processed } = run("exactly-once", 2, [barrier(1, 0), data(10, 0), data(11, 0), data(20, 1), barrier(1, 1), data(21, 1)]);
    expect(checkpoints).toEqual([1]);
    // 10 and 11 came after the barrier on channel 0: processed only after the checkpoint.
    expect(processed).toEqual([20, 10, 11, 21]);
  });

  it("aborts a checkpoint when a newer barrier overtakes it, and aligns on the newer one: [-1, 2]", () => {
    expect(run("exactly-once", 2, [barrier(1, 0), barrier(2, 1), barrier(2, 0)]).checkpoints).toEqual([-1, 2]);
  });

  it("aborts on a cancel marker and ignores the late barriers of the aborted checkpoint: [1, -2, 3]", () => {
    const trace = [barrier(1, 0), barrier(1, 1), barrier(2, 0), cancel(2), barrier(2, 1), data(5, 0), barrier(3, 1), barrier(3, 0)];
    const { checkpoints, processed } = run("exactly-once", 2, trace);
    expect(checkpoints).toEqual([1, -2, 3]);
    expect(processed).toEqual([5]);
  });

  it("ignores barriers of checkpoints already taken", () => {
    expect(run("exactly-once", 2, [barrier(1, 0), barrier(1, 1), barrier(1, 0), barrier(2, 0), barrier(2, 1)]).checkpoints).toEqual([1, 2]);
  });

  it("with one channel, takes the checkpoint at its barrier", () => {
    expect(run("exactly-once", 1, [data(1, 0), barrier(1, 0), data(2, 0), barrier(2, 0)])).toEqual({ checkpoints: [1, 2], processed: [1, 2] });
  });

  it("completes an alignment when the only missing channel ends", () => {
    expect(run("exactly-once", 3, [barrier(4, 0), barrier(4, 1), end(2)]).checkpoints).toEqual([4]);
  });

  it("does not wait for channels that ended before the barrier", () => {
    expect(run("exactly-once", 2, [end(1), barrier(1, 0), barrier(2, 0)]).checkpoints).toEqual([1, 2]);
  });

  it("a cancel for a checkpoint not yet seen aborts it in advance", () => {
    expect(run("exactly-once", 2, [cancel(3), barrier(3, 0), barrier(3, 1), barrier(4, 0), barrier(4, 1)]).checkpoints).toEqual([-3, 4]);
  });
});

describe("at-least-once", () => {
  it("never blocks: data after a barrier is processed at once, and the checkpoint is taken with the last barrier", () => {
    const { checkpoints, processed } = run("at-least-once", 2, [barrier(1, 0), data(10, 0), data(20, 1), barrier(1, 1), data(11, 0)]);
    expect(checkpoints).toEqual([1]);
    expect(processed).toEqual([10, 20, 11]);
  });

  it("also aborts overtaken checkpoints: [-1, 2]", () => {
    expect(run("at-least-once", 2, [barrier(1, 0), barrier(2, 1), barrier(2, 0), data(1, 0)]).checkpoints).toEqual([-1, 2]);
  });
});
