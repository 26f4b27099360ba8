// The file sink's decisions, pure, by traces: the rolling policy (size before a record, age,
// inactivity, the next timer), the ledger of a subtask's part files (open → closed → pending →
// committed, with and without checkpointing), what a restore commits and removes at the same and at
// another parallelism, counters that never reuse a name, and part file names read back.

import { describe, expect, it } from "vitest";
import { atBarrier, checkpointComplete, endOfInput, type FileSinkStateEntry, type Ledger, openPart, PartNames, planRestore, rollPart, stateEntry } from "../../src/connectors/file-sink-ledger.ts";
import { DEFAULT_ROLLING, mightOverflow, nextTimeRoll, rollingPolicy, rollsBeforeRecord, timeRoll } from "../../src/connectors/file-sink-rolling.ts";

const nothingFound = { hidden: [], visible: [] };
const fresh = (subtask = 0, parallelism = 1): Ledger => planRestore([], subtask, parallelism, nothingFound).ledger;

/**
 * Runs a trace of a subtask's events — `open` (a record starts a part), `roll`, `barrier <id>`,
 * `complete <id>`, `end` — and returns, per event, the counters it committed (empty: none).
 */
function run(trace: string[], checkpointing: boolean, start: Ledger = fresh()): { commits: number[][]; ledger: Ledger } {
  let ledger = start;
  const commits: number[][] = [];
  for (const event of trace) {
    const [kind, arg] = event.split(" ");
    let commit: number[] = [];
    if (kind === "open") ledger = openPart(ledger).ledger;
    else if (kind === "roll") ({ ledger, commit } = rollPart(ledger, checkpointing));
    else if (kind === "barrier") ledger = atBarrier(ledger, Number(arg));
    else if (kind === "complete") ({ ledger, commit } = checkpointComplete(ledger, Number(arg)));
    else if (kind === "end") ({ ledger, commit } = endOfInput(ledger));
    else throw new Error(`unknown event ${event}`);
    commits.push(commit);
  }
  return { commits, ledger };
}

describe("the file sink's rolling policy", () => {
  const policy = { maxBytes: 100, intervalMs: 1_000, inactivityMs: 300 };

  it("a record that would take a part past maxBytes goes into a new part; an empty part takes any record", () => {
    const trace = [
      [0, 40],
      [40, 60],
      [100, 1],
      [0, 250],
      [90, 11],
    ] as const;
    expect(trace.map(([bytes, record]) => rollsBeforeRecord({ bytes, openedAt: 0, lastWriteAt: 0 }, record, policy))).toEqual([false, false, true, false, true]);
  });

  it("counts a record's bytes only when it might not fit: a UTF-16 unit takes at most 3 bytes", () => {
    const part = { bytes: 40, openedAt: 0, lastWriteAt: 0 };
    const trace = [
      [0, 20],
      [10, 10],
      [10, 11],
      [0, 21],
    ] as const;
    expect(trace.map(([buffered, record]) => mightOverflow(part, buffered, record, policy))).toEqual([false, false, true, true]);
  });

  it("rolls by age first, then by inactivity, and names the next time either is due", () => {
    const part = { bytes: 10, openedAt: 0, lastWriteAt: 500 };
    expect([499, 799, 800, 999, 1_000].map((now) => timeRoll(part, now, policy))).toEqual([undefined, undefined, "inactivity", "inactivity", "interval"]);
    expect(nextTimeRoll(part, policy)).toBe(800);
    expect(nextTimeRoll({ ...part, lastWriteAt: 900 }, policy)).toBe(1_000);
    expect(nextTimeRoll(part, { ...policy, intervalMs: Number.POSITIVE_INFINITY, inactivityMs: Number.POSITIVE_INFINITY })).toBe(Number.POSITIVE_INFINITY);
  });

  it("fills in defaults and names every bad option", () => {
    expect(rollingPolicy(undefined)).toEqual({ policy: DEFAULT_ROLLING, problems: [] });
    expect(rollingPolicy({ maxBytes: 1024, inactivityMs: Number.POSITIVE_INFINITY }).policy).toEqual({ maxBytes: 1024, intervalMs: 60_000, inactivityMs: Number.POSITIVE_INFINITY });
    expect(rollingPolicy({ maxBytes: 0, intervalMs: -1, inactivityMs: "5" as unknown as number }).problems).toEqual([
      "rolling.maxBytes must be a number above 0 (got 0)",
      "rolling.intervalMs must be a number above 0 (got -1)",
      "rolling.inactivityMs must be a number above 0 (got 5)",
    ]);
    expect(rollingPolicy({ maxBytes: Number.POSITIVE_INFINITY }).problems).toEqual(["rolling.maxBytes must be finite (leave it out for 128 MiB)"]);
  });
});

describe("the file sink's ledger", () => {
  it("with checkpointing, a part is committed only once the checkpoint after it has completed", () => {
    const { commits, ledger } = run(["open", "roll", "open", "barrier 1", "open", "barrier 2", "complete 1", "open", "roll", "complete 2", "barrier 3", "open", "end"], true);
    expect(commits).toEqual([[], [], [], [], [], [], [0, 1], [], [], [2], [], [], [3, 4]]);
    expect(ledger).toEqual({ index: 0, counters: new Map([[0, 5]]), open: undefined, closed: [], pending: [] });
  });

  it("a lost notice is made up by the next one: a completed checkpoint commits every earlier pending part", () => {
    expect(run(["open", "barrier 1", "open", "barrier 2", "open", "barrier 3", "complete 3"], true).commits.at(-1)).toEqual([0, 1, 2]);
  });

  it("a barrier with nothing written since the last one stages nothing", () => {
    const { ledger } = run(["barrier 1", "open", "barrier 2", "barrier 3"], true);
    expect(ledger.pending).toEqual([{ checkpointId: 2, counters: [0] }]);
  });

  it("without checkpointing, a part is committed when it rolls and at the end of input", () => {
    expect(run(["open", "roll", "open", "roll", "open", "end"], false).commits).toEqual([[], [0], [], [1], [], [2]]);
  });

  it("a savepoint without periodic checkpoints stages the part it closed until its notice, or the end", () => {
    expect(run(["open", "barrier 7", "open", "roll", "complete 7", "open", "barrier 8", "end"], false).commits).toEqual([[], [], [], [1], [0], [], [], [2]]);
  });

  it("the state a barrier stores holds the counters and the pending parts", () => {
    const { ledger } = run(["open", "roll", "open", "barrier 4"], true);
    expect(stateEntry(ledger)).toEqual({ index: 0, counters: [[0, 2]], pending: [{ checkpointId: 4, counters: [0, 1] }] });
  });
});

describe("a restore of the file sink", () => {
  const entry = (index: number, next: number, pending: [number, number[]][] = []): FileSinkStateEntry => ({ index, counters: [[index, next]], pending: pending.map(([checkpointId, counters]) => ({ checkpointId, counters })) });

  it("commits the restored checkpoint's pending parts, removes the in-progress files after it, and counts on", () => {
    const restored = [entry(0, 3, [[5, [1, 2]]]), entry(1, 2, [[5, [1]]])];
    // Subtask 0 had closed part 3 and was writing part 4 when it failed; part 0 was committed at checkpoint 4.
    const found = { hidden: [1, 2, 3, 4].map((counter) => ({ index: 0, counter })).concat([{ index: 1, counter: 2 }]), visible: [{ index: 0, counter: 0 }] };
    const plan = planRestore(restored, 0, 2, found);
    expect(plan.commit).toEqual([
      { index: 0, counter: 1 },
      { index: 0, counter: 2 },
    ]);
    expect(plan.remove).toEqual([
      { index: 0, counter: 3 },
      { index: 0, counter: 4 },
    ]);
    // The removed files' counters are not used again either.
    expect(openPart(plan.ledger).counter).toBe(5);
    const other = planRestore(restored, 1, 2, found);
    expect(other.commit).toEqual([{ index: 1, counter: 1 }]);
    expect(other.remove).toEqual([{ index: 1, counter: 2 }]);
    expect(openPart(other.ledger).counter).toBe(3);
  });

  it("at a lower parallelism, each old subtask's parts and files go to exactly one new subtask, and counters are carried for a later rescale", () => {
    const restored = [entry(0, 4, [[9, [3]]]), entry(1, 2, [[9, [1]]]), entry(2, 7, [[8, [5]], [9, [6]]])];
    const found = { hidden: [{ index: 2, counter: 7 }, { index: 1, counter: 2 }, { index: 0, counter: 3 }], visible: [] };
    const plans = [0, 1].map((subtask) => planRestore(restored, subtask, 2, found));
    expect(plans[0].commit).toEqual([{ index: 0, counter: 3 }, { index: 2, counter: 5 }, { index: 2, counter: 6 }]);
    expect(plans[0].remove).toEqual([{ index: 2, counter: 7 }]);
    expect(plans[1].commit).toEqual([{ index: 1, counter: 1 }]);
    expect(plans[1].remove).toEqual([{ index: 1, counter: 2 }]);
    expect(stateEntry(plans[0].ledger).counters).toEqual([[0, 4], [2, 8]]);
    // Back at parallelism 3 from a checkpoint of the 2-subtask job: subtask 2 counts on after its old parts.
    const later = [stateEntry(openPart(plans[0].ledger).ledger), stateEntry(plans[1].ledger)];
    expect(openPart(planRestore(later, 2, 3, nothingFound).ledger).counter).toBe(8);
  });

  it("a fresh start counts on after the parts the directory holds and removes leftover in-progress files", () => {
    const plan = planRestore([], 0, 1, { hidden: [{ index: 0, counter: 9 }], visible: [{ index: 0, counter: 4 }, { index: 3, counter: 20 }] });
    expect(plan.commit).toEqual([]);
    expect(plan.remove).toEqual([{ index: 0, counter: 9 }]);
    expect(openPart(plan.ledger).counter).toBe(10);
  });
});

describe("part file names", () => {
  it("are read back from a directory listing, leaving other files alone", () => {
    const names = new PartNames("counts", ".ndjson");
    expect(names.visible({ index: 1, counter: 12 })).toBe("counts-1-12.ndjson");
    expect(names.hidden({ index: 1, counter: 12 })).toBe(".counts-1-12.ndjson.inprogress");
    expect(names.parse(["counts-1-12.ndjson", ".counts-0-3.ndjson.inprogress", "counts-1-2.ndjson.inprogress", ".counts-0-4.ndjson", "counts-x-1.ndjson", "part-0-0", "README"])).toEqual({
      hidden: [{ index: 0, counter: 3 }],
      visible: [{ index: 1, counter: 12 }],
    });
  });
});
