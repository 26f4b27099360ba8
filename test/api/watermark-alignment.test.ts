// Watermark alignment in an embedded job: a fast and a slow source in one group; the slow one
// holds at event time 2,000 until the fast one got past 3,000 (or ended). With a drift of 1,000,
// the fast source never reads past the bound (2,000 + 1,000) plus its one record that crossed it
// while the slow one is held; without alignment it would read on to its end. Every record still
// arrives once. And an idle split does not hold back a window.

import { describe, expect, it } from "vitest";
import { StreamExecutionEnvironment, WatermarkStrategy } from "../../src/index.ts";
import type { Source, SourceReader } from "../../src/operators/source.ts";
import { TumblingEventTimeWindows } from "../../src/windowing/assigners.ts";

interface Event {
  side: "fast" | "slow";
  ts: number;
}

const STEP = 10;
const END = 20_000;
const HOLD_AT = 2_000;
const DRIFT = 1_000;

/** A source of one reader emitting ts 0, STEP, … END; `holdAfter` returns true while it must hold. */
function steppedSource(side: Event["side"], onEmit: (ts: number) => void, holding: (ts: number) => boolean): Source<Event> {
  return {
    parallel: false,
    createReader: (): SourceReader<Event> => {
      let next = 0;
      return {
        pollNext(output) {
          if (next > END) return "end";
          if (holding(next)) return "nothing";
          onEmit(next);
          output.collect({ side, ts: next });
          next += STEP;
          return next > END ? "end" : "more";
        },
        available: () => new Promise((resolve) => setTimeout(resolve, 2)),
      };
    },
  };
}

/** Watermark = timestamp, per event: alignment sees each step. */
function punctuated(aligned: boolean): WatermarkStrategy<Event> {
  const strategy = WatermarkStrategy.forGenerator<Event>(() => ({ onEvent: (_e, ts, out) => out.emitWatermark(ts), onPeriodicEmit: () => undefined })).withTimestampAssigner((e) => e.ts);
  return aligned ? strategy.withWatermarkAlignment("inputs", DRIFT, 20) : strategy;
}

async function run(aligned: boolean): Promise<{ fastWhileHeld: number; values: Event[] }> {
  const state = { fastMax: -1, released: false, fastWhileHeld: -1 };
  const env = new StreamExecutionEnvironment({ parallelism: 1 });
  const fast = env.fromSource(
    steppedSource("fast", (ts) => {
      state.fastMax = ts;
      if (!state.released) state.fastWhileHeld = ts;
    }, () => false),
    "Fast",
    punctuated(aligned),
  );
  const slow = env.fromSource(
    steppedSource("slow", () => undefined, (ts) => {
      if (ts <= HOLD_AT || state.released) return false;
      // Released once the fast side got past the bound (paused there) or ran to its end.
      if (state.fastMax > HOLD_AT + DRIFT) state.released = true;
      return !state.released;
    }),
    "Slow",
    punctuated(aligned),
  );
  const out = fast.union(slow).collect();
  await env.execute(aligned ? "aligned" : "unaligned");
  return { fastWhileHeld: state.fastWhileHeld, values: out.values };
}

describe("watermark alignment", () => {
  it("keeps the fast source within the drift of the slow one, and loses or repeats nothing", async () => {
    const { fastWhileHeld, values } = await run(true);
    expect(fastWhileHeld).toBeLessThanOrEqual(HOLD_AT + DRIFT + STEP);
    expect(fastWhileHeld).toBeGreaterThan(HOLD_AT + DRIFT);
    const seen = new Set(values.map((e) => `${e.side}/${e.ts}`));
    expect(values).toHaveLength(2 * (END / STEP + 1));
    expect(seen.size).toBe(values.length);
  });

  it("is what holds the fast source back: without it, the fast source reads far past the bound", async () => {
    const { fastWhileHeld } = await run(false);
    expect(fastWhileHeld).toBeGreaterThan(HOLD_AT + DRIFT + STEP);
  });
});

describe("per-split watermarks", () => {
  it("leave an idle split out, so a window fires although one split has nothing", async () => {
    // One reader, two splits: "quiet" has one record at 0 and then nothing; "busy" one record per
    // poll round (100 ms of event time apart) until the window's result is seen. Held at -1, the
    // quiet split would hold the reader's watermark; once idle it is left out and the window fires.
    const seen = { fired: false };
    const source: Source<Event> = {
      parallel: false,
      createReader: () => {
        let next = 0;
        let quietSent = false;
        return {
          pollNext(output) {
            if (seen.fired) return "end";
            if (!quietSent) {
              quietSent = true;
              output.forSplit("quiet").collect({ side: "slow", ts: 0 });
            }
            output.forSplit("busy").collect({ side: "fast", ts: next });
            next += 100;
            return "nothing";
          },
          available: () => new Promise((resolve) => setTimeout(resolve, 5)),
        };
      },
    };
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.setAutoWatermarkInterval(10);
    const out = env
      .fromSource(source, "Splits", WatermarkStrategy.forMonotonousTimestamps<Event>().withTimestampAssigner((e) => e.ts).withIdleness(50))
      .map((e) => e.ts)
      .windowAll(TumblingEventTimeWindows.of(1_000))
      .reduce((a, b) => Math.max(a, b))
      .map((max) => {
        seen.fired = true;
        return max;
      })
      .collect();
    await env.execute("idle-split");
    // The first window [0, 1000) fired while the reader was still running (the quiet split idle).
    expect(out.values[0]).toBe(900);
    expect(seen.fired).toBe(true);
  });
});
