// The JetStream source's split enumerator, call by call: what it hands out, to whom, and what it
// keeps in its state, as a trace of the commands it gives its context. Each reader that asks gets
// the subject filters it owns (their place mod the parallelism) and then "no more"; splits given
// back by a failed reader go to that reader's next execution at the positions they had; a restore
// at another parallelism hands out what no reader had, each split once; a subject filter added
// before a restore gets a fresh split; start positions the server must be asked for are looked up
// once, before anything is handed out. Bad options and bad restored state fail with a clear message.

import { describe, expect, it } from "vitest";
import { jetStreamSource, type SplitEnumerator, type SplitEnumeratorContext } from "../../src/index.ts";
import { systemClock } from "../../src/testing/index.ts";
import { JetStreamSplitEnumerator } from "../../src/connectors/jetstream-enumerator.ts";
import type { JetStreamSplit, ResolvedStart } from "../../src/connectors/jetstream-splits.ts";

const SUBJECTS = ["numbers.0", "numbers.1", "numbers.2", "numbers.3"];

/** A context that records the enumerator's commands as lines ("assign 1 numbers.1@1 numbers.3@1", "no-more 1") and runs its async work when told. */
function tracing(parallelism: number) {
  const trace: string[] = [];
  const registered = new Set<number>();
  const asyncWork: (() => Promise<void>)[] = [];
  const ctx: SplitEnumeratorContext = {
    parallelism,
    clock: systemClock,
    registeredReaders: () => [...registered].sort(),
    assignSplits: (subtask, splits) => trace.push(`assign ${subtask} ${(splits as JetStreamSplit[]).map((s) => `${s.subject}@${s.nextSeq}`).join(" ")}`),
    signalNoMoreSplits: (subtask) => trace.push(`no-more ${subtask}`),
    sendEventToReader: () => {
      throw new Error("the JetStream enumerator sends no events");
    },
    callAsync: (work, handle) => asyncWork.push(async () => handle(await work())),
  };
  /** Reader `subtask` registers (as the actor does before its first request) and asks; returns what the enumerator answered. */
  const ask = (enumerator: SplitEnumerator, subtask: number): string[] => {
    const from = trace.length;
    if (!registered.has(subtask)) {
      registered.add(subtask);
      enumerator.addReader(subtask);
    }
    enumerator.handleSplitRequest(subtask);
    return trace.slice(from);
  };
  const runAsync = async () => {
    for (const work of asyncWork.splice(0)) await work();
  };
  return { ctx, trace, ask, runAsync, restart: (subtask: number) => registered.delete(subtask) };
}

function enumerator(ctx: SplitEnumeratorContext, restored?: unknown, options: { subjects?: string[]; start?: ResolvedStart; lookUp?: number } = {}): JetStreamSplitEnumerator {
  const { subjects = SUBJECTS, start = { kind: "sequence", sequence: 1 }, lookUp = 0 } = options;
  const created = new JetStreamSplitEnumerator({ name: "jetStreamSource NUMBERS", subjects, start, lookUpStart: async () => lookUp }, ctx, restored);
  created.start();
  return created;
}

describe("the JetStream split enumerator", () => {
  it("hands each reader that asks the subject filters it owns, then no more; a second request gets only no more", () => {
    const { ctx, ask } = tracing(2);
    const e = enumerator(ctx);
    expect(ask(e, 1)).toEqual(["assign 1 numbers.1@1 numbers.3@1", "no-more 1"]);
    expect(ask(e, 0)).toEqual(["assign 0 numbers.0@1 numbers.2@1", "no-more 0"]);
    expect(ask(e, 0)).toEqual(["no-more 0"]);
    expect(e.snapshotState()).toEqual({ known: SUBJECTS, pending: [] });
  });

  it("tells a reader that owns nothing (more readers than subject filters) that there are no more splits", () => {
    const { ctx, ask } = tracing(5);
    const e = enumerator(ctx);
    expect(ask(e, 4)).toEqual(["no-more 4"]);
    expect(ask(e, 2)).toEqual(["assign 2 numbers.2@1", "no-more 2"]);
  });

  it("gives the splits of a failed reader back to that reader's next execution, at their positions, and to no other", () => {
    const { ctx, ask, restart } = tracing(2);
    const e = enumerator(ctx);
    ask(e, 0);
    ask(e, 1);
    // Reader 0 failed: what it was handed since the last completed checkpoint comes back.
    restart(0);
    e.addSplitsBack([{ subject: "numbers.0", nextSeq: 1 }, { subject: "numbers.2", nextSeq: 1 }]);
    expect(e.snapshotState().pending).toEqual([{ subject: "numbers.0", nextSeq: 1 }, { subject: "numbers.2", nextSeq: 1 }]);
    expect(ask(e, 1)).toEqual(["no-more 1"]);
    expect(ask(e, 0)).toEqual(["assign 0 numbers.0@1 numbers.2@1", "no-more 0"]);
    expect(e.snapshotState().pending).toEqual([]);
  });

  it("restored at another parallelism, hands out what no reader had, each split once", () => {
    const before = tracing(2);
    const first = enumerator(before.ctx);
    before.ask(first, 0);
    const state = first.snapshotState();
    expect(state).toEqual({ known: SUBJECTS, pending: [{ subject: "numbers.1", nextSeq: 1 }, { subject: "numbers.3", nextSeq: 1 }] });

    // The readers' own splits (numbers.0, numbers.2) come back to them through the checkpoint, not from here.
    const after = tracing(3);
    const restored = enumerator(after.ctx, structuredClone(state));
    const answers = [0, 1, 2].flatMap((subtask) => after.ask(restored, subtask));
    expect(answers).toEqual(["assign 0 numbers.3@1", "no-more 0", "assign 1 numbers.1@1", "no-more 1", "no-more 2"]);
  });

  it("gives a subject filter added before a restore a fresh split, and the known ones none", () => {
    const { ctx, ask } = tracing(1);
    const e = enumerator(ctx, { known: ["numbers.0", "numbers.1"], pending: [] }, { subjects: [...SUBJECTS, "numbers.4"], start: { kind: "sequence", sequence: 7 } });
    expect(ask(e, 0)).toEqual(["assign 0 numbers.2@7 numbers.3@7 numbers.4@7", "no-more 0"]);
  });

  it("looks a latest or time start position up once, before anything is handed out; a restore does not look it up again", async () => {
    const { ctx, ask, runAsync } = tracing(2);
    const e = enumerator(ctx, undefined, { start: { kind: "latest" }, lookUp: 42 });
    expect(ask(e, 0)).toEqual([]);
    await runAsync();
    expect(ask(e, 1)).toEqual(["assign 1 numbers.1@42 numbers.3@42", "no-more 1"]);

    const later = tracing(2);
    enumerator(later.ctx, e.snapshotState(), { start: { kind: "latest" }, lookUp: 99 });
    await later.runAsync();
    expect(later.trace).toEqual([]);
  });

  it("answers the readers that asked while the start position was looked up", async () => {
    const { ctx, trace, ask, runAsync } = tracing(2);
    const e = enumerator(ctx, undefined, { start: { kind: "time", time: new Date(0) }, lookUp: 5 });
    ask(e, 0);
    ask(e, 1);
    expect(trace).toEqual([]);
    await runAsync();
    expect(trace).toEqual(["assign 0 numbers.0@5 numbers.2@5", "no-more 0", "assign 1 numbers.1@5 numbers.3@5", "no-more 1"]);
  });

  it("refuses a restored state or split that is not its own, naming what it expects", () => {
    const { ctx } = tracing(1);
    expect(() => enumerator(ctx, { files: [] })).toThrow('jetStreamSource NUMBERS: a restored enumerator state must be {known, pending}, got {"files":[]}');
    expect(() => enumerator(ctx, { known: [], pending: [{ subject: "a", nextSeq: 0 }] })).toThrow('jetStreamSource NUMBERS: a restored split must be {subject, nextSeq} (nextSeq an integer >= 1), got {"subject":"a","nextSeq":0}');
  });

  it("refuses bad options with what to change", () => {
    const base = { servers: "nats://127.0.0.1:1", stream: "S" };
    expect(() => jetStreamSource({ ...base, subjects: ["a", "a"] })).toThrow('jetStreamSource: subjects lists "a" twice; each subject filter is one split, read once');
    expect(() => jetStreamSource({ ...base, startAt: "newest" as never })).toThrow('jetStreamSource: startAt must be "earliest", "latest", { sequence: n } (n an integer >= 1) or { time: Date | ISO string | epoch ms }, got "newest"');
    expect(() => jetStreamSource({ ...base, startAt: { sequence: 0 } })).toThrow("jetStreamSource: startAt.sequence must be an integer >= 1 (stream sequences start at 1), got 0");
    expect(() => jetStreamSource({ ...base, startAt: { time: "yesterday" } })).toThrow('jetStreamSource: startAt.time must be a Date, an ISO 8601 string or epoch milliseconds, got "yesterday"');
    expect(() => jetStreamSource({ ...base, startAt: { sequence: 3, time: 0 } as never })).toThrow('got {"sequence":3,"time":0}');
  });
});
