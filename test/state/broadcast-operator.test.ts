// The keyed broadcast operator driven by hand, as a trace: data records (input 0), broadcast
// records (input 1) and watermarks in a fixed order, on a simulated clock. Same trace, same output.

import { describe, expect, it } from "vitest";
import { InProcessBus } from "../../src/bus/in-process-bus.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { keyGroupOf } from "../../src/core/key-groups.ts";
import { KeyedBroadcastOperatorForTest, type Step } from "./broadcast-operator-harness.ts";
import {
  KeyedBroadcastProcessFunction,
  ListStateDescriptor,
  MapStateDescriptor,
  ValueStateDescriptor,
  type Collector,
  type KeyedBroadcastContext,
  type KeyedBroadcastOnTimerContext,
  type KeyedBroadcastReadOnlyContext,
} from "../../src/index.ts";

const PREFIX = new MapStateDescriptor<string, string>("prefix");
const WORDS = new ListStateDescriptor<string>("words");
const LAST = new ValueStateDescriptor<string>("last");

/** Words keyed by their first letter; a broadcast prefix is prepended to output and to every key's stored words. */
class Prefixer extends KeyedBroadcastProcessFunction<string, string, string, string> {
  processElement(word: string, ctx: KeyedBroadcastReadOnlyContext<string>, out: Collector<string>): void {
    const prefix = ctx.getBroadcastState(PREFIX).get("p") ?? "";
    this.getRuntimeContext().getListState(WORDS).add(word);
    this.getRuntimeContext().getState(LAST).update(word);
    ctx.timerService().registerEventTimeTimer(100);
    out.collect(`${prefix}${word} (${ctx.getCurrentKey()}: ${this.getRuntimeContext().getListState(WORDS).get().join(",")})`);
  }

  processBroadcastElement(prefix: string, ctx: KeyedBroadcastContext<string>, out: Collector<string>): void {
    ctx.getBroadcastState(PREFIX).put("p", prefix);
    ctx.applyToKeyedState(WORDS, (key, words) => {
      words.update(words.get().map((w) => `${prefix}${w}`));
      out.collect(`rewrote ${key}`);
    });
  }

  override onTimer(timestamp: number, ctx: KeyedBroadcastOnTimerContext<string>, out: Collector<string>): void {
    out.collect(`timer ${timestamp} ${ctx.timeDomain()} ${ctx.getCurrentKey()} last=${this.getRuntimeContext().getState(LAST).value()}`);
  }
}

const data = (value: string): Step => ({ kind: "record", input: 0, value });
const rule = (value: string): Step => ({ kind: "record", input: 1, value });
const watermark = (input: 0 | 1, timestamp: number): Step => ({ kind: "watermark", input, timestamp });

describe("the keyed broadcast operator", () => {
  it("processElement sees the broadcast state as it is, and applyToKeyedState rewrites every key's state", async () => {
    const harness = await KeyedBroadcastOperatorForTest.open(new Prefixer(), (w) => (w as string)[0], [PREFIX], { bus: new InProcessBus(), log: silentLogger() });
    const out = harness.run([data("apple"), data("avocado"), data("banana"), rule(">"), data("apricot"), rule("#"), data("blueberry")]);
    // applyToKeyedState visits keys in key-group order.
    const rewrites = ["a", "b"].sort((x, y) => keyGroupOf(x, 128) - keyGroupOf(y, 128)).map((key) => `rewrote ${key}`);
    expect(out.filter((e) => e.kind === "record").map((e) => e.value)).toEqual([
      "apple (a: apple)",
      "avocado (a: apple,avocado)",
      "banana (b: banana)",
      ...rewrites,
      ">apricot (a: >apple,>avocado,apricot)",
      ...rewrites,
      "#blueberry (b: #>banana,blueberry)",
    ]);
  });

  it("event time is the minimum watermark of both inputs: timers fire once both have passed them", async () => {
    const harness = await KeyedBroadcastOperatorForTest.open(new Prefixer(), (w) => (w as string)[0], [PREFIX], { bus: new InProcessBus(), log: silentLogger() });
    harness.run([data("apple"), data("banana"), data("bread")]);
    expect(harness.run([watermark(0, 150)])).toEqual([]);
    const out = harness.run([watermark(1, 120)]);
    expect(out).toEqual([
      { kind: "record", value: "timer 100 event-time a last=apple", timestamp: 100 },
      { kind: "record", value: "timer 100 event-time b last=bread", timestamp: 100 },
      { kind: "watermark", timestamp: 120 },
    ]);
  });

  it("the broadcast side has no current key: keyed state is reached through applyToKeyedState", async () => {
    class CountKeys extends KeyedBroadcastProcessFunction<string, string, string, number> {
      processElement(word: string): void {
        this.getRuntimeContext().getListState(WORDS).add(word);
      }
      processBroadcastElement(_: string, ctx: KeyedBroadcastContext<string>, out: Collector<number>): void {
        let keys = 0;
        ctx.applyToKeyedState(WORDS, () => (keys += 1));
        out.collect(keys);
      }
    }
    const harness = await KeyedBroadcastOperatorForTest.open(new CountKeys(), (w) => w, [PREFIX], { bus: new InProcessBus(), log: silentLogger() });
    const out = harness.run([rule("?"), data("x"), data("y"), data("x"), rule("?")]);
    expect(out.map((e) => (e.kind === "record" ? e.value : undefined))).toEqual([0, 2]);
  });
});
