// Session merging, pure: which time windows merge, and the merging window set's bookkeeping (the
// in-flight windows, the state window each one's contents live under, and the merges reported).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventTimeSessionWindows, MergingWindowSet, TimeWindow, mergeTimeWindows, type MergingWindowMapping } from "../../src/windowing/index.ts";

const w = (start: number, end: number) => new TimeWindow(start, end);
const text = (window: TimeWindow) => `[${window.start},${window.end})`;

function merges(windows: TimeWindow[]): string[] {
  const out: string[] = [];
  mergeTimeWindows(windows, (from, to) => out.push(`${from.map(text).join("+")} → ${text(to)}`));
  return out;
}

describe("merging time windows", () => {
  it("reports each group of overlapping or touching windows with the window covering it", () => {
    expect(merges([w(20, 30), w(0, 10), w(5, 15), w(40, 50), w(30, 35)])).toEqual(["[0,10)+[5,15) → [0,15)", "[20,30)+[30,35) → [20,35)"]);
  });

  it("reports nothing for windows that stay apart, and counts equal windows once", () => {
    expect(merges([w(0, 10), w(11, 20)])).toEqual([]);
    expect(merges([w(0, 10), w(0, 10)])).toEqual([]);
  });

  it("merges into sessions that are exactly the connected runs of the windows (checked against a brute force)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 20 })), { minLength: 1, maxLength: 12 }), (pairs) => {
        const windows = pairs.map(([start, length]) => w(start, start + length));
        // Brute force: union-find over every pair that intersects.
        const parent = windows.map((_, i) => i);
        const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
        for (let i = 0; i < windows.length; i++) for (let j = 0; j < i; j++) if (windows[i].intersects(windows[j])) parent[find(i)] = find(j);
        const groups = new Map<number, TimeWindow[]>();
        windows.forEach((window, i) => groups.set(find(i), [...(groups.get(find(i)) ?? []), window]));
        const expected = [...groups.values()]
          .map((group) => [...new Map(group.map((x) => [x.id, x])).values()])
          .filter((group) => group.length > 1)
          .map((group) => text(w(Math.min(...group.map((x) => x.start)), Math.max(...group.map((x) => x.end)))))
          .sort();
        const reported: string[] = [];
        mergeTimeWindows(windows, (_from, to) => reported.push(text(to)));
        expect(reported.sort()).toEqual(expected);
      }),
    );
  });
});

interface Merge {
  result: string;
  merged: string[];
  stateResult: string;
  mergedState: string[];
}

function setWith(mapping: MergingWindowMapping<TimeWindow> = new Map()) {
  const set = new MergingWindowSet<TimeWindow>(EventTimeSessionWindows.withGap(1), mapping);
  const reported: Merge[] = [];
  const add = (window: TimeWindow) =>
    text(
      set.addWindow(window, (result, merged, stateResult, mergedState) =>
        reported.push({ result: text(result), merged: merged.map(text), stateResult: text(stateResult), mergedState: mergedState.map(text) }),
      ),
    );
  const inFlight = () => [...set.mapping.values()].map((m) => `${text(m.window)}@${text(m.stateWindow)}`).sort();
  return { set, reported, add, inFlight };
}

describe("the merging window set", () => {
  it("keeps a window that merges with nothing as its own state window", () => {
    const { add, reported, inFlight } = setWith();
    expect(add(w(0, 2))).toBe("[0,2)");
    expect(add(w(5, 7))).toBe("[5,7)");
    expect(reported).toEqual([]);
    expect(inFlight()).toEqual(["[0,2)@[0,2)", "[5,7)@[5,7)"]);
  });

  it("on a merge, keeps the state window of an in-flight window and reports the merge", () => {
    const { add, reported, inFlight } = setWith();
    add(w(0, 2));
    expect(add(w(1, 3))).toBe("[0,3)");
    expect(reported).toEqual([{ result: "[0,3)", merged: ["[0,2)"], stateResult: "[0,2)", mergedState: [] }]);
    expect(inFlight()).toEqual(["[0,3)@[0,2)"]);
  });

  it("a window bridging two sessions merges all three; the other session's contents must move", () => {
    const { add, reported, inFlight } = setWith();
    add(w(0, 2));
    add(w(1, 3)); // [0,3) stored under [0,2)
    add(w(5, 6));
    expect(add(w(3, 5))).toBe("[0,6)");
    expect(reported[1]).toEqual({ result: "[0,6)", merged: ["[0,3)", "[5,6)"], stateResult: "[0,2)", mergedState: ["[5,6)"] });
    expect(inFlight()).toEqual(["[0,6)@[0,2)"]);
  });

  it("a window inside an in-flight one changes nothing and reports no merge", () => {
    const { add, reported, inFlight } = setWith();
    add(w(0, 10));
    expect(add(w(2, 5))).toBe("[0,10)");
    expect(add(w(0, 10))).toBe("[0,10)");
    expect(reported).toEqual([]);
    expect(inFlight()).toEqual(["[0,10)@[0,10)"]);
  });

  it("an equal window after a merge keeps the merged window's state window", () => {
    const { add, inFlight } = setWith();
    add(w(0, 5));
    add(w(3, 10)); // [0,10) stored under [0,5)
    expect(add(w(0, 10))).toBe("[0,10)");
    expect(inFlight()).toEqual(["[0,10)@[0,5)"]);
  });

  it("retires windows that fired and were cleaned up, and refuses to retire unknown ones", () => {
    const { set, add, inFlight } = setWith();
    add(w(0, 2));
    set.retireWindow(w(0, 2));
    expect(inFlight()).toEqual([]);
    expect(set.getStateWindow(w(0, 2))).toBeUndefined();
    expect(() => set.retireWindow(w(0, 2))).toThrow(/not in the merging window set/);
  });
});
