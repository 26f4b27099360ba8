// Keyed state end to end, in embedded jobs at parallelism 2: ListState, MapState, ReducingState
// and AggregatingState in a KeyedProcessFunction, and keyed state in rich map/flatMap/filter
// functions after keyBy. Records of one key keep their order, so each expectation is computed
// here by replaying the input key by key; results are compared sorted.

import { describe, expect, it } from "vitest";
import {
  AggregatingStateDescriptor,
  KeyedProcessFunction,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  RichFilterFunction,
  RichFlatMapFunction,
  RichMapFunction,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  type AggregateFunction,
  type AggregatingState,
  type Collector,
  type KeyedProcessContext,
  type KeyedRuntimeContext,
  type ListState,
  type MapState,
  type ReducingState,
  type ValueState,
} from "../../src/index.ts";
import { sorted } from "../api/comparisons.ts";

interface Visit {
  user: string;
  page: string;
}

const USERS = ["ann", "bob", "cy", "dee", "eve", "fay", "gus"];
const PAGES = ["home", "cart", "help", "pay"];

/** A fixed, irregular sequence of visits; every user ends with an "END" marker. */
function visits(count: number): Visit[] {
  const out: Visit[] = [];
  for (let i = 0; i < count; i++) {
    const user = USERS[(i * 5 + (i >> 3)) % USERS.length];
    out.push({ user, page: i % 11 === 10 ? "END" : PAGES[(i * 7 + (i >> 2)) % PAGES.length] });
  }
  for (const user of USERS) out.push({ user, page: "END" });
  return out;
}

describe("KeyedProcessFunction with the other state kinds", () => {
  it("ListState collects a key's pages until its END marker, then emits and clears them", async () => {
    class Sessions extends KeyedProcessFunction<string, Visit, string> {
      private pages!: ListState<string>;
      override open(ctx: KeyedRuntimeContext): void {
        this.pages = ctx.getListState(new ListStateDescriptor<string>("pages"));
      }
      processElement(visit: Visit, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
        if (visit.page !== "END") {
          this.pages.add(visit.page);
          return;
        }
        const pages = this.pages.get();
        if (pages.length > 0) out.collect(`${ctx.getCurrentKey()}: ${pages.join(">")}`);
        this.pages.clear();
      }
    }
    const input = visits(300);
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = await env
      .fromCollection(input)
      .keyBy((v) => v.user)
      .process(new Sessions())
      .executeAndCollect();

    const open = new Map<string, string[]>();
    const expected: string[] = [];
    for (const { user, page } of input) {
      const pages = open.get(user) ?? [];
      if (page !== "END") open.set(user, [...pages, page]);
      else {
        if (pages.length > 0) expected.push(`${user}: ${pages.join(">")}`);
        open.delete(user);
      }
    }
    expect(sorted(out)).toEqual(sorted(expected));
  });

  it("MapState counts each key's visits per page", async () => {
    class PageCounts extends KeyedProcessFunction<string, Visit, string> {
      private counts!: MapState<string, number>;
      override open(ctx: KeyedRuntimeContext): void {
        this.counts = ctx.getMapState(new MapStateDescriptor<string, number>("counts"));
      }
      processElement(visit: Visit, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
        if (visit.page === "END") {
          out.collect(`${ctx.getCurrentKey()} saw ${this.counts.keys().sort().join(",")}`);
          return;
        }
        const count = (this.counts.get(visit.page) ?? 0) + 1;
        this.counts.put(visit.page, count);
        out.collect(`${ctx.getCurrentKey()}/${visit.page}=${count}`);
      }
    }
    const input = visits(250);
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = await env
      .fromCollection(input)
      .keyBy((v) => v.user)
      .process(new PageCounts())
      .executeAndCollect();

    const counts = new Map<string, number>();
    const expected = input.map(({ user, page }) => {
      if (page === "END") {
        const seen = PAGES.filter((p) => counts.has(`${user}/${p}`)).sort();
        return `${user} saw ${seen.join(",")}`;
      }
      const count = (counts.get(`${user}/${page}`) ?? 0) + 1;
      counts.set(`${user}/${page}`, count);
      return `${user}/${page}=${count}`;
    });
    expect(sorted(out)).toEqual(sorted(expected));
  });

  it("ReducingState keeps a running maximum and AggregatingState a running average per key", async () => {
    const average: AggregateFunction<number, [number, number], number> = {
      createAccumulator: () => [0, 0],
      add: (value, [sum, n]) => [sum + value, n + 1],
      getResult: ([sum, n]) => sum / n,
      merge: ([s1, n1], [s2, n2]) => [s1 + s2, n1 + n2],
    };
    class Stats extends KeyedProcessFunction<number, [number, number], string> {
      private max!: ReducingState<number>;
      private avg!: AggregatingState<number, number>;
      override open(ctx: KeyedRuntimeContext): void {
        this.max = ctx.getReducingState(new ReducingStateDescriptor<number>("max", (a, b) => Math.max(a, b)));
        this.avg = ctx.getAggregatingState(new AggregatingStateDescriptor("avg", average));
      }
      processElement([key, value]: [number, number], _ctx: KeyedProcessContext<number>, out: Collector<string>): void {
        this.max.add(value);
        this.avg.add(value);
        out.collect(`${key}: max ${this.max.get()} avg ${this.avg.get()!.toFixed(3)}`);
      }
    }
    const input: [number, number][] = Array.from({ length: 400 }, (_, i) => [i % 13, ((i * 7919) % 1000) - 500]);
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = await env
      .fromCollection(input)
      .keyBy(([key]) => key)
      .process(new Stats())
      .executeAndCollect();

    const seen = new Map<number, number[]>();
    const expected = input.map(([key, value]) => {
      const values = [...(seen.get(key) ?? []), value];
      seen.set(key, values);
      return `${key}: max ${Math.max(...values)} avg ${(values.reduce((a, b) => a + b, 0) / values.length).toFixed(3)}`;
    });
    expect(sorted(out)).toEqual(sorted(expected));
  });
});

describe("rich functions after keyBy use keyed state", () => {
  it("a RichFlatMapFunction emits each key's values the first time it sees them, using MapState and ListState", async () => {
    class FirstSeen extends RichFlatMapFunction<[string, number], string> {
      private seen!: MapState<number, boolean>;
      private order!: ListState<number>;
      override open(): void {
        this.seen = this.getRuntimeContext().getMapState(new MapStateDescriptor<number, boolean>("seen"));
        this.order = this.getRuntimeContext().getListState(new ListStateDescriptor<number>("order"));
      }
      flatMap([key, value]: [string, number], out: Collector<string>): void {
        if (this.seen.contains(value)) return;
        this.seen.put(value, true);
        this.order.add(value);
        out.collect(`${key}#${this.order.get().length}=${value}`);
      }
    }
    const input: [string, number][] = Array.from({ length: 500 }, (_, i) => [`k${i % 9}`, (i * 31) % 17]);
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = await env
      .fromCollection(input)
      .keyBy(([key]) => key)
      .flatMap(new FirstSeen())
      .executeAndCollect();

    const firsts = new Map<string, number[]>();
    const expected: string[] = [];
    for (const [key, value] of input) {
      const values = firsts.get(key) ?? [];
      if (values.includes(value)) continue;
      values.push(value);
      firsts.set(key, values);
      expected.push(`${key}#${values.length}=${value}`);
    }
    expect(sorted(out)).toEqual(sorted(expected));
  });

  it("a RichFlatMapFunction reports every third reading of a key with a ReducingState sum and an AggregatingState mean", async () => {
    const mean: AggregateFunction<number, { sum: number; n: number }, number> = {
      createAccumulator: () => ({ sum: 0, n: 0 }),
      add: (value, acc) => ({ sum: acc.sum + value, n: acc.n + 1 }),
      getResult: (acc) => acc.sum / acc.n,
      merge: (a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
    };
    class EveryThird extends RichFlatMapFunction<{ sensor: string; value: number }, string> {
      private total!: ReducingState<number>;
      private average!: AggregatingState<number, number>;
      private readings!: ValueState<number>;
      override open(ctx: KeyedRuntimeContext): void {
        this.total = ctx.getReducingState(new ReducingStateDescriptor<number>("total", { reduce: (a: number, b: number) => a + b }));
        this.average = ctx.getAggregatingState(new AggregatingStateDescriptor("mean", mean));
        this.readings = ctx.getState(new ValueStateDescriptor<number>("readings", 0));
      }
      flatMap({ sensor, value }: { sensor: string; value: number }, out: Collector<string>): void {
        this.total.add(value);
        this.average.add(value);
        const n = this.readings.value()! + 1;
        this.readings.update(n);
        if (n % 3 === 0) out.collect(`${sensor}@${n}: total ${this.total.get()} mean ${this.average.get()!.toFixed(2)}`);
      }
    }
    const input = Array.from({ length: 300 }, (_, i) => ({ sensor: `s${(i * 7) % 11}`, value: (i * 13) % 50 }));
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = await env
      .fromCollection(input)
      .keyBy((r) => r.sensor)
      .flatMap(new EveryThird())
      .executeAndCollect();

    const history = new Map<string, number[]>();
    const expected: string[] = [];
    for (const { sensor, value } of input) {
      const values = [...(history.get(sensor) ?? []), value];
      history.set(sensor, values);
      const total = values.reduce((a, b) => a + b, 0);
      if (values.length % 3 === 0) expected.push(`${sensor}@${values.length}: total ${total} mean ${(total / values.length).toFixed(2)}`);
    }
    expect(expected.length).toBeGreaterThan(50);
    expect(sorted(out)).toEqual(sorted(expected));
  });

  it("a RichMapFunction numbers each key's records with a ValueState, and a RichFilterFunction keeps the first two per key", async () => {
    class Numbered extends RichMapFunction<string, string> {
      private count!: ValueState<number>;
      override open(ctx: KeyedRuntimeContext): void {
        this.count = ctx.getState(new ValueStateDescriptor<number>("count", 0));
      }
      map(word: string): string {
        const n = this.count.value()! + 1;
        this.count.update(n);
        return `${word}:${n}`;
      }
    }
    class FirstTwo extends RichFilterFunction<string> {
      private kept!: ReducingState<number>;
      override open(): void {
        this.kept = this.getRuntimeContext().getReducingState(new ReducingStateDescriptor<number>("kept", (a, b) => a + b));
      }
      filter(): boolean {
        this.kept.add(1);
        return this.kept.get()! <= 2;
      }
    }
    const words = "to be or not to be that is the question to be".split(" ");
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const numbered = env.fromCollection(words).keyBy((w) => w).map(new Numbered());
    const numberedOut = numbered.collect();
    const firstTwo = env
      .fromCollection(words)
      .keyBy((w) => w)
      .filter(new FirstTwo())
      .collect();
    await env.execute();

    const counts = new Map<string, number>();
    const expectedNumbered = words.map((w) => {
      counts.set(w, (counts.get(w) ?? 0) + 1);
      return `${w}:${counts.get(w)}`;
    });
    const kept = new Map<string, number>();
    const expectedFirstTwo = words.filter((w) => {
      kept.set(w, (kept.get(w) ?? 0) + 1);
      return kept.get(w)! <= 2;
    });
    expect(sorted(numberedOut.values)).toEqual(sorted(expectedNumbered));
    expect(sorted(firstTwo.values)).toEqual(sorted(expectedFirstTwo));
  });

  it("a plain function after keyBy still runs, without keyed state", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = await env
      .fromElements(1, 2, 3, 4)
      .keyBy((n) => n % 2)
      .map((n) => n * 10)
      .executeAndCollect();
    expect(sorted(out)).toEqual([10, 20, 30, 40]);
  });

  it("keyed state in a rich function on a non-keyed stream fails the job and says to call keyBy() first", async () => {
    class NotKeyed extends RichMapFunction<number, number> {
      override open(ctx: KeyedRuntimeContext): void {
        ctx.getListState(new ListStateDescriptor<number>("l"));
      }
      map(n: number): number {
        return n;
      }
    }
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.fromElements(1, 2).map(new NotKeyed()).collect();
    await expect(env.execute()).rejects.toThrow("keyed state is only available on a keyed stream: call keyBy() before this operator");
  });
});
