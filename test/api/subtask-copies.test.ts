// Every parallel subtask, and every restart attempt, gets its own deep copy of a user function:
// fields created in a constructor or initialiser are never shared (the repro of a batching sink
// whose array all subtasks pushed into), and what cannot be copied fails when the job is defined.

import { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { RichMapFunction, RichSinkFunction, StreamExecutionEnvironment, UncopyableFunctionError, type RuntimeContext } from "../../src/index.ts";
import { deepCopy } from "../../src/api/deep-copy.ts";

interface Report {
  sub: number;
  attempt: number;
  arrayLen: number;
  n: number;
}

/** What each subtask's copy saw, reported at close (a module-level list: not a field, so not copied). */
const reports: Report[] = [];

class CountingSink extends RichSinkFunction<number> {
  private seen: number[] = [];
  private n = 0;
  private sub = -1;
  override open(ctx: RuntimeContext): void {
    this.sub = ctx.subtaskIndex;
  }
  invoke(r: number): void {
    this.seen.push(r);
    this.n++;
  }
  override close(): void {
    reports.push({ sub: this.sub, attempt: 0, arrayLen: this.seen.length, n: this.n });
  }
}

class Tally {
  count = 0;
  inc(): void {
    this.count += 1;
  }
}

interface CollectionsReport {
  sub: number;
  mapKeys: number[];
  setSize: number;
  tally: number;
  dateYear: number;
  processed: number;
}
const collectionsReports: CollectionsReport[] = [];

/** Holds a Map, a Set, a nested class instance and a Date, and changes all four per record. */
class Collections extends RichMapFunction<number, number> {
  private readonly bySub = new Map<number, number>();
  private readonly values = new Set<number>();
  private readonly tally = new Tally();
  private readonly started = new Date(Date.UTC(2000, 0, 1));
  private processed = 0;
  map(value: number): number {
    const sub = this.getRuntimeContext().subtaskIndex;
    this.bySub.set(sub, (this.bySub.get(sub) ?? 0) + 1);
    this.values.add(value);
    this.tally.inc();
    this.started.setUTCFullYear(this.started.getUTCFullYear() + 1);
    this.processed++;
    return value;
  }
  override close(): void {
    collectionsReports.push({
      sub: this.getRuntimeContext().subtaskIndex,
      mapKeys: [...this.bySub.keys()],
      setSize: this.values.size,
      tally: this.tally.count,
      dateYear: this.started.getUTCFullYear(),
      processed: this.processed,
    });
  }
}

const attemptReports: Report[] = [];

/** Keeps every record in a field; throws on its first attempt after 50 records. */
class FailsOnce extends RichMapFunction<number, number> {
  private seen: number[] = [];
  map(value: number): number {
    this.seen.push(value);
    if (this.getRuntimeContext().attempt === 0 && this.seen.length === 50) throw new Error("failing the first attempt on purpose");
    return value;
  }
  override close(): void {
    const ctx = this.getRuntimeContext();
    attemptReports.push({ sub: ctx.subtaskIndex, attempt: ctx.attempt, arrayLen: this.seen.length, n: this.seen.length });
  }
}

describe("each parallel subtask gets its own user function", () => {
  it("a sink's array field holds only its own subtask's records (the batching sink repro)", async () => {
    reports.length = 0;
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.fromSequence(1, 1000).rebalance().addSink(new CountingSink()).setParallelism(2);
    await env.execute("shared fields");
    expect(reports.map((r) => r.sub).sort()).toEqual([0, 1]);
    for (const r of reports) expect(r.arrayLen).toBe(r.n);
    expect(reports.reduce((sum, r) => sum + r.n, 0)).toBe(1000);
  });

  it("a Map, a Set, a nested class instance and a Date are independent per subtask", async () => {
    collectionsReports.length = 0;
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.fromSequence(1, 400).rebalance().map(new Collections()).setParallelism(2).collect();
    await env.execute("collections");
    expect(collectionsReports).toHaveLength(2);
    for (const r of collectionsReports) {
      expect(r.mapKeys).toEqual([r.sub]);
      expect(r.setSize).toBe(r.processed);
      expect(r.tally).toBe(r.processed);
      expect(r.dateYear).toBe(2000 + r.processed);
    }
    expect(collectionsReports.reduce((sum, r) => sum + r.processed, 0)).toBe(400);
  });

  it("a restart gets fresh copies: nothing the failed attempt put in a field survives", async () => {
    attemptReports.length = 0;
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.setRestartStrategy({ kind: "fixed-delay", attempts: 1, delayMs: 10 });
    env.fromSequence(1, 100).map(new FailsOnce()).addSink(() => undefined);
    await env.execute("restart");
    const finished = attemptReports.filter((r) => r.attempt === 1);
    expect(finished).toEqual([{ sub: 0, attempt: 1, arrayLen: 100, n: 100 }]);
  });

  it("a field that cannot be copied fails when the job is defined, saying to create it in open()", () => {
    class SocketSink extends RichSinkFunction<string> {
      readonly socket = new Socket();
      invoke(): void {}
    }
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const stream = env.fromCollection(["a"]);
    let error: unknown;
    try {
      stream.addSink(new SocketSink());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UncopyableFunctionError);
    expect((error as UncopyableFunctionError).field).toBe("SocketSink.socket");
    expect((error as Error).message).toMatch(/^addSink\(\): SocketSink\.socket holds .*create this in open\(\)/);
  });

  it("plain functions keep working, and what their closure captures is shared on purpose", async () => {
    let calls = 0;
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.fromSequence(1, 10).rebalance().map((n) => {
      calls += 1;
      return n;
    }).setParallelism(2).collect();
    await env.execute("lambda");
    expect(calls).toBe(10);
  });
});

describe("deepCopy", () => {
  it("keeps prototypes, cycles and shared references, and keeps functions as they are", () => {
    const fn = () => 1;
    const shared = { x: 1 };
    const original = new Tally() as Tally & { self?: unknown; a?: unknown; b?: unknown; fn?: () => number };
    original.self = original;
    original.a = shared;
    original.b = shared;
    original.fn = fn;
    const copy = deepCopy(original);
    expect(copy).not.toBe(original);
    expect(copy).toBeInstanceOf(Tally);
    expect(copy.self).toBe(copy);
    expect(copy.a).toBe(copy.b);
    expect(copy.a).not.toBe(shared);
    expect(copy.fn).toBe(fn);
    copy.inc();
    expect([copy.count, original.count]).toEqual([1, 0]);
  });
});
