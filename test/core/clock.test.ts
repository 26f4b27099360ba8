// The simulated clock that tests and replays drive: time moves only when told, and timers fire in
// (time, creation) order as it does.

import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/clock.ts";

describe("SimulatedClock", () => {
  it("stands still until advanced", () => {
    const clock = new SimulatedClock(500);
    expect(clock.now()).toBe(500);
    clock.advanceBy(25);
    expect(clock.now()).toBe(525);
    clock.advanceTo(600);
    expect(clock.now()).toBe(600);
  });

  it("never moves backwards", () => {
    const clock = new SimulatedClock(100);
    clock.advanceTo(50);
    expect(clock.now()).toBe(100);
  });

  it("fires due timers in time order, ties in creation order, with the clock at each timer's time", () => {
    const clock = new SimulatedClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 30);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`d@${clock.now()}`), 50);
    clock.advanceTo(40);
    expect(fired).toEqual(["a@10", "b@10", "c@30"]);
    expect(clock.now()).toBe(40);
  });

  it("does not fire a cleared timer", () => {
    const clock = new SimulatedClock();
    const fired: string[] = [];
    const handle = clock.setTimeout(() => fired.push("cleared"), 10);
    clock.setTimeout(() => fired.push("kept"), 10);
    clock.clearTimeout(handle);
    clock.advanceBy(100);
    expect(fired).toEqual(["kept"]);
  });

  it("fires timers set by a firing timer within the same advance when they fall due", () => {
    const clock = new SimulatedClock();
    const fired: number[] = [];
    const tick = () => {
      fired.push(clock.now());
      if (clock.now() < 50) clock.setTimeout(tick, 10);
    };
    clock.setTimeout(tick, 10);
    clock.advanceTo(35);
    expect(fired).toEqual([10, 20, 30]);
    clock.advanceTo(100);
    expect(fired).toEqual([10, 20, 30, 40, 50]);
  });

  it("treats a negative delay as zero", () => {
    const clock = new SimulatedClock(10);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), -5);
    clock.advanceBy(0);
    expect(fired).toEqual([10]);
  });
});
