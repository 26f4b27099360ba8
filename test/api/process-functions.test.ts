// Process functions end to end: side outputs from a ProcessFunction, keyed ValueState and
// processing-time timers in a KeyedProcessFunction. Timer tests keep their (gated) source open
// until every expected timer output has reached the sink, then assert only on content.

import { describe, expect, it } from "vitest";
import {
  KeyedProcessFunction,
  OutputTag,
  ProcessFunction,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  type Collector,
  type KeyedProcessContext,
  type KeyedRuntimeContext,
  type OnTimerContext,
  type ProcessContext,
  type RuntimeContext,
  type ValueState,
} from "../../src/index.ts";
import { gatedSource } from "./gated-source.ts";
import { range, sorted } from "./comparisons.ts";

const ODD = new OutputTag<string>("odd");
const NEGATIVE = new OutputTag<number>("negative");

/** Even numbers to the main output, odd ones (as text) and negative ones to side outputs. */
class Splitter extends ProcessFunction<number, number> {
  processElement(n: number, ctx: ProcessContext, out: Collector<number>): void {
    if (n < 0) ctx.output(NEGATIVE, n);
    else if (n % 2 === 0) out.collect(n);
    else ctx.output(ODD, `odd:${n}`);
  }
}

describe("ProcessFunction and side outputs", () => {
  it("records go to the main output or to the side output named by their tag", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const split = env.fromSequence(-20, 99).process(new Splitter());
    const main = split.collect();
    const odd = split.getSideOutput(ODD).collect();
    const negative = split.getSideOutput(NEGATIVE).collect();
    await env.execute();
    const input = range(-20, 99);
    expect(sorted(main.values)).toEqual(input.filter((n) => n >= 0 && n % 2 === 0));
    expect(sorted(odd.values)).toEqual(sorted(input.filter((n) => n >= 0 && n % 2 !== 0).map((n) => `odd:${n}`)));
    expect(sorted(negative.values)).toEqual(input.filter((n) => n < 0));
  });

  it("a side output can feed further operators at another parallelism", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 3 });
    const split = env.fromSequence(0, 59).process(new Splitter());
    const lengths = split
      .getSideOutput(ODD)
      .map((s) => s.length)
      .setParallelism(1)
      .collect();
    split.addSink(() => undefined);
    await env.execute();
    expect(sorted(lengths.values)).toEqual(sorted(range(0, 59).filter((n) => n % 2 !== 0).map((n) => `odd:${n}`.length)));
  });

  it("a side output nobody reads is dropped without affecting the main output", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const main = await env.fromSequence(0, 19).process(new Splitter()).executeAndCollect();
    expect(sorted(main)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
  });

  it("getRuntimeContext() works from open() on and gives the subtask's context", async () => {
    class TagWithSubtask extends ProcessFunction<number, string> {
      private prefix = "";
      override open(ctx: RuntimeContext): void {
        expect(this.getRuntimeContext()).toBe(ctx);
        this.prefix = `${this.getRuntimeContext().subtaskIndex}/${this.getRuntimeContext().parallelism}`;
      }
      processElement(n: number, _ctx: ProcessContext, out: Collector<string>): void {
        out.collect(`${this.prefix}:${n}`);
      }
    }
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = await env.fromSequence(1, 10).process(new TagWithSubtask()).executeAndCollect();
    expect(sorted(out.map((s) => Number(s.split(":")[1])))).toEqual(range(1, 10));
    expect(sorted([...new Set(out.map((s) => s.split(":")[0]))])).toEqual(["0/2", "1/2"]);
  });

  it("the runtime context is not available in the constructor", () => {
    class TooEarly extends ProcessFunction<number, number> {
      readonly subtask = this.getRuntimeContext().subtaskIndex;
      processElement(): void {}
    }
    expect(() => new TooEarly()).toThrow("the runtime context is available from open() on");
  });

  it("timers on a non-keyed stream fail the job and say to call keyBy() first", async () => {
    class NeedsTimers extends ProcessFunction<number, number> {
      processElement(n: number, ctx: ProcessContext): void {
        ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 10 + n);
      }
    }
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.fromElements(1).process(new NeedsTimers()).collect();
    await expect(env.execute()).rejects.toThrow("timers are only available on a keyed stream: call keyBy() before process()");
  });
});

describe("KeyedProcessFunction with ValueState", () => {
  it("ValueState holds one value per key, starting from the descriptor's default", async () => {
    class RunningCount extends KeyedProcessFunction<string, string, { key: string; count: number }> {
      private count!: ValueState<number>;
      override open(ctx: KeyedRuntimeContext): void {
        this.count = ctx.getState(new ValueStateDescriptor<number>("count", 0));
      }
      processElement(_word: string, ctx: KeyedProcessContext<string>, out: Collector<{ key: string; count: number }>): void {
        const next = this.count.value()! + 1;
        this.count.update(next);
        out.collect({ key: ctx.getCurrentKey(), count: next });
      }
    }
    const words = "a b a c b a d a c b b".split(" ");
    const env = new StreamExecutionEnvironment({ parallelism: 3 });
    const out = await env
      .fromCollection(words)
      .keyBy((w) => w)
      .process(new RunningCount())
      .executeAndCollect();
    const seen = new Map<string, number>();
    const expected = words.map((w) => {
      seen.set(w, (seen.get(w) ?? 0) + 1);
      return { key: w, count: seen.get(w)! };
    });
    expect(sorted(out)).toEqual(sorted(expected));
  });

  it("clear() forgets the current key's value and getState() from the runtime context works too", async () => {
    // Emits the sum of a key's values since the last 0, and resets on 0.
    class SumUntilZero extends KeyedProcessFunction<string, [string, number], string> {
      processElement([key, n]: [string, number], _ctx: KeyedProcessContext<string>, out: Collector<string>): void {
        const sum = this.getRuntimeContext().getState(new ValueStateDescriptor<number>("sum"));
        if (n === 0) {
          out.collect(`${key}=${sum.value() ?? "none"}`);
          sum.clear();
        } else sum.update((sum.value() ?? 0) + n);
      }
    }
    const input: [string, number][] = [["x", 1], ["y", 5], ["x", 2], ["x", 0], ["y", 0], ["x", 0], ["y", 3], ["y", 0]];
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = await env
      .fromCollection(input)
      .keyBy((t) => t[0])
      .process(new SumUntilZero())
      .executeAndCollect();
    const sums = new Map<string, number | undefined>();
    const expected: string[] = [];
    for (const [key, n] of input) {
      if (n === 0) {
        expected.push(`${key}=${sums.get(key) ?? "none"}`);
        sums.delete(key);
      } else sums.set(key, (sums.get(key) ?? 0) + n);
    }
    expect(sorted(out)).toEqual(sorted(expected));
  });
});

describe("KeyedProcessFunction with processing-time timers", () => {
  interface Fired {
    key: string;
    count: number;
    timestamp: number;
    registeredAt: number;
    domain: string;
  }

  /** Counts a key's records; the first record registers a timer 20 ms ahead, every record registers it again. */
  class CountThenFire extends KeyedProcessFunction<string, string, Fired> {
    private count!: ValueState<number>;
    private due!: ValueState<number>;
    override open(ctx: KeyedRuntimeContext): void {
      this.count = ctx.getState(new ValueStateDescriptor<number>("count", 0));
      this.due = ctx.getState(new ValueStateDescriptor<number>("due"));
    }
    processElement(_word: string, ctx: KeyedProcessContext<string>, _out: Collector<Fired>): void {
      this.count.update(this.count.value()! + 1);
      let due = this.due.value();
      if (due === undefined) {
        due = ctx.timerService().currentProcessingTime() + 20;
        this.due.update(due);
      }
      // Registered twice per record, and again for each later record of the key: one timer.
      ctx.timerService().registerProcessingTimeTimer(due);
      ctx.timerService().registerProcessingTimeTimer(due);
    }
    override onTimer(timestamp: number, ctx: OnTimerContext<string>, out: Collector<Fired>): void {
      out.collect({ key: ctx.getCurrentKey(), count: this.count.value()!, timestamp, registeredAt: this.due.value()!, domain: ctx.timeDomain() });
    }
  }

  it("onTimer fires once per key and timestamp, with the key current and its state readable", async () => {
    const words = "k1 k2 k1 k3 k1 k2 k4 k5 k5 k5 k5".split(" ");
    const expectedCounts = new Map<string, number>();
    for (const w of words) expectedCounts.set(w, (expectedCounts.get(w) ?? 0) + 1);

    const gated = gatedSource(words);
    const fired: Fired[] = [];
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env
      .fromSource(gated.source, "words")
      .keyBy((w) => w)
      .process(new CountThenFire())
      .addSink((f: Fired) => {
        fired.push(f);
        if (new Set(fired.map((x) => x.key)).size === expectedCounts.size) gated.open();
      });
    await env.execute();

    expect(sorted(fired.map((f) => f.key))).toEqual(sorted([...expectedCounts.keys()]));
    for (const f of fired) {
      expect(f.count).toBe(expectedCounts.get(f.key));
      expect(f.timestamp).toBe(f.registeredAt);
      expect(f.domain).toBe("processing-time");
    }
  });

  it("a deleted timer does not fire while another timer of the same key does", async () => {
    class RegisterTwoDeleteOne extends KeyedProcessFunction<string, string, string> {
      private registeredAt!: ValueState<number>;
      override open(ctx: KeyedRuntimeContext): void {
        this.registeredAt = ctx.getState(new ValueStateDescriptor<number>("registered-at"));
      }
      processElement(_key: string, ctx: KeyedProcessContext<string>): void {
        const now = ctx.timerService().currentProcessingTime();
        this.registeredAt.update(now);
        ctx.timerService().registerProcessingTimeTimer(now + 5);
        ctx.timerService().registerProcessingTimeTimer(now + 15);
        ctx.timerService().deleteProcessingTimeTimer(now + 5);
      }
      override onTimer(timestamp: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
        out.collect(`${ctx.getCurrentKey()}+${timestamp - this.registeredAt.value()!}`);
      }
    }
    const keys = ["p", "q", "r"];
    const gated = gatedSource(keys);
    const fired: string[] = [];
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env
      .fromSource(gated.source, "keys")
      .keyBy((k) => k)
      .process(new RegisterTwoDeleteOne())
      .addSink((s: string) => {
        fired.push(s);
        if (fired.length === keys.length) gated.open();
      });
    await env.execute();
    expect(sorted(fired)).toEqual(["p+15", "q+15", "r+15"]);
  });

  it("onTimer can emit to a side output", async () => {
    const LATE = new OutputTag<string>("timer-side");
    class SideFromTimer extends KeyedProcessFunction<string, string, string> {
      processElement(_k: string, ctx: KeyedProcessContext<string>): void {
        ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 5);
      }
      override onTimer(_ts: number, ctx: OnTimerContext<string>): void {
        ctx.output(LATE, `side:${ctx.getCurrentKey()}`);
      }
    }
    const gated = gatedSource(["u", "v"]);
    const side: string[] = [];
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const processed = env
      .fromSource(gated.source, "keys")
      .keyBy((k) => k)
      .process(new SideFromTimer());
    const main = processed.collect();
    processed.getSideOutput(LATE).addSink((s: string) => {
      side.push(s);
      if (side.length === 2) gated.open();
    });
    await env.execute();
    expect(main.values).toEqual([]);
    expect(sorted(side)).toEqual(["side:u", "side:v"]);
  });
});
