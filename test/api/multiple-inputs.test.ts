// Operators with more than one input: union merges streams of one type, connect pairs two
// streams of different types into CoMap, CoFlatMap and CoProcess functions that know which
// input each record came from.

import { describe, expect, it } from "vitest";
import {
  CoProcessFunction,
  OutputTag,
  StreamExecutionEnvironment,
  type CoFlatMapFunction,
  type Collector,
  type ProcessContext,
  type RuntimeContext,
} from "../../src/index.ts";
import { range, sorted } from "./comparisons.ts";

describe("union", () => {
  it("union of two streams delivers every record of both", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const a = env.fromSequence(0, 99);
    const b = env.fromElements(1000, 1001, 1002);
    const out = await a.union(b).map((n) => n + 1).executeAndCollect();
    expect(sorted(out)).toEqual([...range(1, 100), 1001, 1002, 1003]);
  });

  it("union of three streams with different parallelisms delivers every record once", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 3 });
    const evens = env.fromSequence(0, 49).map((n) => n * 2);
    const odds = env.fromSequence(0, 49).setParallelism(2).map((n) => n * 2 + 1).setParallelism(2);
    const tail = env.fromCollection(range(100, 109));
    const out = await evens.union(odds, tail).executeAndCollect();
    expect(sorted(out)).toEqual(range(0, 109));
  });

  it("a union keeps each input's own order when it ends in one subtask", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    const letters = env.fromElements("a", "b", "c", "d");
    const digits = env.fromElements("1", "2", "3");
    const out = await letters.union(digits).executeAndCollect();
    expect(out.filter((s) => /[a-z]/.test(s))).toEqual(["a", "b", "c", "d"]);
    expect(out.filter((s) => /\d/.test(s))).toEqual(["1", "2", "3"]);
  });

  it("a stream unioned with itself delivers every record twice, as in Flink", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const s = env.fromSequence(1, 50);
    const out = await s.union(s).executeAndCollect();
    expect(sorted(out)).toEqual(sorted([...range(1, 50), ...range(1, 50)]));
  });

  it("one stream feeding several operators delivers every record to each of them", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const s = env.fromSequence(1, 60);
    const chained = s.map((n) => `a${n}`).collect();
    const keyed = s.keyBy((n) => n % 3).map((n) => `b${n}`).collect();
    const paired = s.connect(s).map({ map1: (n: number) => `l${n}`, map2: (n: number) => `r${n}` }).collect();
    await env.execute();
    expect(sorted(chained.values)).toEqual(sorted(range(1, 60).map((n) => `a${n}`)));
    expect(sorted(keyed.values)).toEqual(sorted(range(1, 60).map((n) => `b${n}`)));
    expect(sorted(paired.values)).toEqual(sorted([...range(1, 60).map((n) => `l${n}`), ...range(1, 60).map((n) => `r${n}`)]));
  });

  it("a union can be keyed: equal keys from different inputs meet in one running sum", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const left = env.fromCollection([{ k: "x", n: 1 }, { k: "y", n: 2 }, { k: "x", n: 3 }]);
    const right = env.fromCollection([{ k: "y", n: 10 }, { k: "x", n: 20 }]);
    const out = await left.union(right).keyBy((r) => r.k).sum("n").executeAndCollect();
    const finals = new Map<string, number>();
    for (const r of out) finals.set(r.k, Math.max(finals.get(r.k) ?? 0, r.n));
    expect(finals).toEqual(new Map([["x", 24], ["y", 12]]));
    expect(out).toHaveLength(5);
  });
});

describe("connect", () => {
  it("CoMapFunction maps each input with its own method", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const numbers = env.fromSequence(1, 20);
    const words = env.fromElements("one", "two", "three");
    const out = await numbers
      .connect(words)
      .map({
        map1: (n: number) => `n:${n * 10}`,
        map2: (w: string) => `w:${w.toUpperCase()}`,
      })
      .executeAndCollect();
    expect(sorted(out)).toEqual(sorted([...range(1, 20).map((n) => `n:${n * 10}`), "w:ONE", "w:TWO", "w:THREE"]));
  });

  it("CoFlatMapFunction may emit any number of records per input, and is opened once per subtask", async () => {
    const opened: number[] = [];
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const counts = env.fromElements(0, 1, 3);
    const lines = env.fromElements("a b", "", "c d e");
    const out = await counts
      .connect(lines)
      .flatMap({
        open(ctx: RuntimeContext) {
          opened.push(ctx.subtaskIndex);
        },
        flatMap1(n: number, out: Collector<string>) {
          for (let i = 0; i < n; i++) out.collect(`#${n}.${i}`);
        },
        flatMap2(line: string, out: Collector<string>) {
          for (const w of line.split(" ")) if (w) out.collect(w);
        },
      })
      .executeAndCollect();
    expect(sorted(out)).toEqual(sorted(["#1.0", "#3.0", "#3.1", "#3.2", "a", "b", "c", "d", "e"]));
    expect(opened.sort()).toEqual([0, 1]);
  });

  it("CoProcessFunction sees both inputs, writes side outputs and keeps fields per subtask", async () => {
    const REJECTED = new OutputTag<string>("rejected");
    class Join extends CoProcessFunction<number, string, string> {
      private seenFirst = 0;
      private seenSecond = 0;
      processElement1(n: number, ctx: ProcessContext, out: Collector<string>): void {
        this.seenFirst += 1;
        if (n < 0) ctx.output(REJECTED, `negative ${n}`);
        else out.collect(`1:${n}`);
      }
      processElement2(s: string, _ctx: ProcessContext, out: Collector<string>): void {
        this.seenSecond += 1;
        out.collect(`2:${s}`);
      }
      override close(): void {
        totals.push({ subtask: this.getRuntimeContext().subtaskIndex, first: this.seenFirst, second: this.seenSecond });
      }
    }
    const totals: { subtask: number; first: number; second: number }[] = [];
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const joined = env.fromSequence(-3, 6).connect(env.fromElements("p", "q")).process(new Join());
    const main = joined.collect();
    const rejected = joined.getSideOutput(REJECTED).collect();
    await env.execute();
    expect(sorted(main.values)).toEqual(sorted([...range(0, 6).map((n) => `1:${n}`), "2:p", "2:q"]));
    expect(sorted(rejected.values)).toEqual(sorted(["negative -3", "negative -2", "negative -1"]));
    expect(totals.map((t) => t.subtask).sort()).toEqual([0, 1]);
    expect(totals.reduce((a, t) => a + t.first, 0)).toBe(10);
    expect(totals.reduce((a, t) => a + t.second, 0)).toBe(2);
  });

  /** Emits [customer, subtask] for records of both inputs. */
  class TagCustomerWithSubtask implements CoFlatMapFunction<{ customer: string }, { customer: string }, [string, number]> {
    private subtask = -1;
    open(ctx: RuntimeContext): void {
      this.subtask = ctx.subtaskIndex;
    }
    flatMap1(o: { customer: string }, out: Collector<[string, number]>): void {
      out.collect([o.customer, this.subtask]);
    }
    flatMap2(c: { customer: string }, out: Collector<[string, number]>): void {
      out.collect([c.customer, this.subtask]);
    }
  }

  it("connecting two keyBy streams brings equal keys of both inputs to one subtask", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 3 });
    const orders = env.fromCollection(range(0, 59).map((i) => ({ customer: `c${i % 12}`, order: i })));
    const customers = env.fromCollection(range(0, 11).map((i) => ({ customer: `c${i}`, name: `name${i}` })));
    const out = await orders
      .keyBy((o) => o.customer)
      .connect(customers.keyBy((c) => c.customer))
      .flatMap(new TagCustomerWithSubtask())
      .executeAndCollect();
    expect(out).toHaveLength(60 + 12);
    const subtasksOf = new Map<string, Set<number>>();
    for (const [customer, subtask] of out) subtasksOf.set(customer, (subtasksOf.get(customer) ?? new Set()).add(subtask));
    expect(subtasksOf.size).toBe(12);
    for (const subtasks of subtasksOf.values()) expect(subtasks.size).toBe(1);
  });
});
