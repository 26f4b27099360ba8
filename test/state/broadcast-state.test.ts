// Broadcast state: a rules stream broadcast to a keyed stream (and to a non-keyed one). Rules and
// events arrive in any order across the two inputs, so the functions park events that have no
// rule yet and revisit them when the rule arrives (with applyToKeyedState on the keyed side):
// the output then does not depend on arrival order, and is computed here from the input alone.

import { describe, expect, it } from "vitest";
import {
  BroadcastProcessFunction,
  KeyedBroadcastProcessFunction,
  ListStateDescriptor,
  MapStateDescriptor,
  OutputTag,
  StreamExecutionEnvironment,
  type BroadcastContext,
  type BroadcastReadOnlyContext,
  type Collector,
  type KeyedBroadcastContext,
  type KeyedBroadcastReadOnlyContext,
  type KeyedRuntimeContext,
  type ListState,
} from "../../src/index.ts";
import { HeapBroadcastState } from "../../src/state/index.ts";
import { sorted } from "../api/comparisons.ts";

interface Txn {
  account: string;
  category: string;
  amount: number;
}
interface Rule {
  category: string;
  limit: number;
}

const RULES = new MapStateDescriptor<string, number>("limits");
const PENDING = new ListStateDescriptor<Txn>("pending");
const RULES_SEEN = new OutputTag<string>("rules-seen");

const CATEGORIES = ["food", "fuel", "travel", "games", "books"];
/** Every category but "books" gets a rule: its transactions stay parked and never alert. */
const rules: Rule[] = CATEGORIES.filter((c) => c !== "books").map((category, i) => ({ category, limit: 100 + 50 * i }));
const txns: Txn[] = Array.from({ length: 400 }, (_, i) => ({
  account: `acct-${(i * 7) % 23}`,
  category: CATEGORIES[(i * 3 + (i >> 4)) % CATEGORIES.length],
  amount: (i * 37) % 400,
}));

const alert = (t: Txn) => `${t.account} ${t.category} ${t.amount}`;

/** Alerts on transactions over their category's limit, whether the rule came before or after them. */
class LimitAlerts extends KeyedBroadcastProcessFunction<string, Txn, Rule, string> {
  private pending!: ListState<Txn>;

  override open(ctx: KeyedRuntimeContext): void {
    this.pending = ctx.getListState(PENDING);
  }

  processElement(txn: Txn, ctx: KeyedBroadcastReadOnlyContext<string>, out: Collector<string>): void {
    expect(ctx.getCurrentKey()).toBe(txn.account);
    const limit = ctx.getBroadcastState(RULES).get(txn.category);
    if (limit === undefined) this.pending.add(txn);
    else if (txn.amount > limit) out.collect(alert(txn));
  }

  processBroadcastElement(rule: Rule, ctx: KeyedBroadcastContext<string>, out: Collector<string>): void {
    ctx.getBroadcastState(RULES).put(rule.category, rule.limit);
    ctx.output(RULES_SEEN, `${this.getRuntimeContext().subtaskIndex}:${rule.category}`);
    ctx.applyToKeyedState(PENDING, (account, pending) => {
      const waiting = pending.get();
      for (const txn of waiting) {
        expect(txn.account).toBe(account);
        if (txn.category === rule.category && txn.amount > rule.limit) out.collect(alert(txn));
      }
      pending.update(waiting.filter((txn) => txn.category !== rule.category));
    });
  }
}

describe("broadcast state with a keyed stream", () => {
  it("a rules stream broadcast to a keyed stream: every transaction is checked against its category's rule", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const ruleStream = env.fromCollection(rules).broadcast(RULES);
    const alerts = env
      .fromCollection(txns)
      .keyBy((t) => t.account)
      .connect(ruleStream)
      .process(new LimitAlerts());
    const out = alerts.collect();
    const seen = alerts.getSideOutput(RULES_SEEN).collect();
    await env.execute();

    const limits = new Map(rules.map((r) => [r.category, r.limit]));
    const expected = txns.filter((t) => limits.has(t.category) && t.amount > limits.get(t.category)!).map(alert);
    expect(expected.length).toBeGreaterThan(50);
    expect(sorted(out.values)).toEqual(sorted(expected));
    // Every subtask received every broadcast element.
    expect(sorted(seen.values)).toEqual(sorted([0, 1].flatMap((subtask) => rules.map((r) => `${subtask}:${r.category}`))));
  });

  it("asking for a broadcast state that broadcast(...) did not declare fails the job with a clear error", async () => {
    class Undeclared extends KeyedBroadcastProcessFunction<string, string, string, string> {
      processElement(_w: string, ctx: KeyedBroadcastReadOnlyContext<string>): void {
        ctx.getBroadcastState(new MapStateDescriptor<string, string>("other"));
      }
      processBroadcastElement(): void {}
    }
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env
      .fromElements("a")
      .keyBy((w) => w)
      .connect(env.fromElements("r").broadcast(RULES))
      .process(new Undeclared())
      .collect();
    await expect(env.execute()).rejects.toThrow('broadcast state "other" was not declared: pass its descriptor to broadcast(...)');
  });

  it("a keyed stream needs a KeyedBroadcastProcessFunction and a non-keyed one a BroadcastProcessFunction", () => {
    class Plain extends BroadcastProcessFunction<string, string, string> {
      processElement(): void {}
      processBroadcastElement(): void {}
    }
    class Keyed extends KeyedBroadcastProcessFunction<string, string, string, string> {
      processElement(): void {}
      processBroadcastElement(): void {}
    }
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    const rulesStream = env.fromElements("r").broadcast(RULES);
    expect(() =>
      env
        .fromElements("a")
        .keyBy((w) => w)
        .connect(rulesStream)
        .process(new Plain()),
    ).toThrow("a keyed stream connected with a broadcast stream needs a KeyedBroadcastProcessFunction");
    expect(() => env.fromElements("a").connect(rulesStream).process(new Keyed())).toThrow("a KeyedBroadcastProcessFunction needs a keyed stream: call keyBy() before connect(broadcastStream)");
  });

  it("broadcast() with no descriptor is still the broadcast partitioner", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = await env.fromElements(1, 2).broadcast().map((n) => n * 10).executeAndCollect();
    expect(sorted(out)).toEqual([10, 10, 20, 20]);
  });
});

describe("broadcast state with a non-keyed stream", () => {
  it("every subtask applies the broadcast factor to its share of the numbers, whenever the factor arrives", async () => {
    const FACTOR = new MapStateDescriptor<string, number>("factor");
    class Scale extends BroadcastProcessFunction<number, number, number> {
      private parked!: number[];
      // Set per subtask in open(): a field initialised in the constructor would be shared by the subtasks' shallow copies.
      override open(): void {
        this.parked = [];
      }
      processElement(n: number, ctx: BroadcastReadOnlyContext, out: Collector<number>): void {
        const factor = ctx.getBroadcastState(FACTOR).get("factor");
        if (factor === undefined) this.parked.push(n);
        else out.collect(n * factor);
      }
      processBroadcastElement(factor: number, ctx: BroadcastContext, out: Collector<number>): void {
        ctx.getBroadcastState(FACTOR).put("factor", factor);
        for (const n of this.parked) out.collect(n * factor);
        this.parked = [];
      }
    }
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = await env
      .fromSequence(1, 200)
      .connect(env.fromElements(3).broadcast(FACTOR))
      .process(new Scale())
      .executeAndCollect();
    expect(sorted(out)).toEqual(Array.from({ length: 200 }, (_, i) => (i + 1) * 3));
  });
});

describe("HeapBroadcastState", () => {
  it("keys compare by value and the read-only view has no writers", () => {
    const state = new HeapBroadcastState<[string, number], string>("s");
    state.put(["a", 1], "x");
    state.putAll([[["b", 2], "y"]]);
    expect(state.get(["a", 1])).toBe("x");
    expect(state.readOnly.contains(["b", 2])).toBe(true);
    expect(state.readOnly.entries()).toEqual([
      [["a", 1], "x"],
      [["b", 2], "y"],
    ]);
    expect("put" in state.readOnly || "remove" in state.readOnly || "clear" in state.readOnly).toBe(false);
    state.remove(["a", 1]);
    expect(state.readOnly.keys()).toEqual([["b", 2]]);
  });

  it("snapshot and restore round-trip its entries", () => {
    const state = new HeapBroadcastState<string, number>("s");
    state.putAll([
      ["a", 1],
      ["b", 2],
    ]);
    const copy = new HeapBroadcastState<string, number>("s");
    copy.restore(state.snapshot());
    expect(copy.entries()).toEqual([
      ["a", 1],
      ["b", 2],
    ]);
    copy.clear();
    expect(copy.isEmpty()).toBe(true);
    expect(state.values()).toEqual([1, 2]);
  });
});
