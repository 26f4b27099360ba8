// The split protocol as traces, with no bus and no clock: a list of events (readers registering and
// asking, checkpoints snapshotted and completed, readers failing) drives the pure bookkeeping of
// coordinator/split-assignment.ts and a small queue enumerator, and the messages to the readers are
// compared with the expected ones, e.g. "1#1 <- a" (reader 1, attempt 1, split a) or "0#0 <- end".

import { describe, expect, it } from "vitest";
import {
  initialAssignment,
  onCheckpointComplete,
  onCommands,
  onReaderMessage,
  onReadersRestarted,
  onSnapshot,
  refusal,
  type EnumeratorCall,
  type EnumeratorCommand,
  type ReaderNotice,
  type SplitAssignmentState,
} from "../../src/coordinator/split-assignment.ts";

type TraceEvent =
  | `register ${number}@${number}`
  | `request ${number}@${number}`
  | `snapshot ${number}`
  | `complete ${number}`
  | `restart ${string}@${number}`;

/** A bounded enumerator over a queue of splits: one split per request, then no more splits. */
class QueueEnumerator {
  constructor(readonly queue: string[]) {}
  call(call: EnumeratorCall): EnumeratorCommand[] {
    switch (call.kind) {
      case "addReader":
      case "handleSourceEvent":
        return [];
      case "handleSplitRequest": {
        const split = this.queue.shift();
        return split === undefined ? [{ kind: "no-more-splits", subtask: call.subtask }] : [{ kind: "assign", subtask: call.subtask, splits: [split] }];
      }
      case "addSplitsBack":
        this.queue.unshift(...(call.splits as string[]));
        return [];
    }
  }
}

const show = (n: ReaderNotice) => `${n.subtask}#${n.attempt} <- ${n.type === "split-assignment" ? n.splits.join(",") : n.type === "no-more-splits" ? "end" : "event"} (seq ${n.seq})`;

/** Runs `trace` from a fresh start at `parallelism`; returns the messages sent, the outcomes and the enumerator's queue. */
function run(parallelism: number, splits: string[], trace: readonly TraceEvent[]) {
  const enumerator = new QueueEnumerator([...splits]);
  let state: SplitAssignmentState = initialAssignment(parallelism, 0);
  const sent: string[] = [];
  const outcomes: string[] = [];
  const perform = (calls: readonly EnumeratorCall[]) => {
    for (const call of calls) {
      const step = onCommands(state, enumerator.call(call));
      state = step.state;
      sent.push(...step.notices.map(show));
    }
  };
  for (const event of trace) {
    const [verb, arg] = event.split(" ");
    if (verb === "register" || verb === "request") {
      const [subtask, attempt] = arg.split("@").map(Number);
      const step = onReaderMessage(state, { type: verb === "register" ? "reader-registration" : "split-request", subtask, attempt });
      state = step.state;
      if (step.outcome !== "accepted") outcomes.push(`${event}: ${step.outcome}`);
      perform(step.calls);
    } else if (verb === "snapshot") state = onSnapshot(state, Number(arg));
    else if (verb === "complete") state = onCheckpointComplete(state, Number(arg));
    else {
      const [subtasks, attempt] = arg.split("@");
      const step = onReadersRestarted(state, subtasks.split(",").map(Number), Number(attempt));
      state = step.state;
      perform(step.calls);
    }
  }
  return { sent, outcomes, queue: enumerator.queue, state };
}

describe("the split assignment protocol", () => {
  it("assigns a split per request, in order, and tells a reader that asks when none is left that there are no more", () => {
    const { sent, outcomes } = run(2, ["a", "b", "c"], ["register 0@0", "register 1@0", "request 1@0", "request 0@0", "request 1@0", "request 0@0", "request 1@0"]);
    expect(sent).toEqual(["1#0 <- a (seq 1)", "0#0 <- b (seq 1)", "1#0 <- c (seq 2)", "0#0 <- end (seq 2)", "1#0 <- end (seq 3)"]);
    expect(outcomes).toEqual([]);
  });

  it("gives a failed reader's splits since the last completed checkpoint back, and they go to the next reader that asks", () => {
    const { sent, queue } = run(2, ["a", "b", "c", "d"], [
      "register 0@0",
      "register 1@0",
      "request 0@0", // a, before checkpoint 1: its reader's checkpoint 1 holds it
      "snapshot 1",
      "request 0@0", // b, after checkpoint 1's snapshot
      "request 1@0", // c
      "complete 1",
      "restart 0,1@1", // the region restarts from checkpoint 1: b (reader 0's), then c (reader 1's) go back to the queue's front; a does not
      "register 1@1",
      "request 1@1",
      "request 1@1",
      "request 1@1",
    ]);
    expect(sent).toEqual(["0#0 <- a (seq 1)", "0#0 <- b (seq 2)", "1#0 <- c (seq 1)", "1#1 <- c (seq 1)", "1#1 <- b (seq 2)", "1#1 <- d (seq 3)"]);
    expect(queue).toEqual([]);
  });

  it("keeps handouts until a completed checkpoint covers them: an aborted one covers nothing", () => {
    const { sent } = run(1, ["a", "b"], [
      "register 0@0",
      "request 0@0", // a: after no snapshot
      "snapshot 1", // checkpoint 1 is aborted: never completed
      "request 0@0", // b: after checkpoint 1's snapshot
      "snapshot 2",
      "complete 2", // covers a and b
      "restart 0@1",
      "register 0@1",
      "request 0@1",
    ]);
    expect(sent).toEqual(["0#0 <- a (seq 1)", "0#0 <- b (seq 2)", "0#1 <- end (seq 1)"]);
  });

  it("refuses an earlier attempt's messages, counts a repeated registration, and registers a reader whose registration was lost", () => {
    const { sent, outcomes } = run(2, ["a", "b"], ["register 0@0", "restart 0@1", "request 0@0", "register 0@1", "register 0@1", "request 1@0", "request 5@0"]);
    expect(outcomes).toEqual(["request 0@0: stale", "register 0@1: duplicate", "request 5@0: unknown"]);
    // Reader 1 never registered: its request registers it first.
    expect(sent).toEqual(["1#0 <- a (seq 1)"]);
  });

  it("refuses sending to a reader that has not registered, or to one the source does not have", () => {
    const state = initialAssignment(2, 0);
    expect(refusal(state, 0)).toBe("reader 0 has not registered yet: send only to registeredReaders(), e.g. in addReader or handleSplitRequest");
    expect(refusal(state, 2)).toBe("there is no reader 2 (the source runs 2 readers: 0..1)");
    expect(refusal(onReaderMessage(state, { type: "reader-registration", subtask: 0, attempt: 0 }).state, 0)).toBeUndefined();
  });
});
