// Processing-time timers on a simulated clock: fired in timestamp order, at most one per
// (key, timestamp), deletable, and silent after stop.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/clock.ts";
import { KeyedTimerService } from "../../src/state/timer-service.ts";

/** A service on a clock at 1000, recording "timestamp:key" as timers fire. */
function setup() {
  const clock = new SimulatedClock(1000);
  const fired: string[] = [];
  let currentKey: unknown ;
  const service = new KeyedTimerService(
    clock,
    () => currentKey,
    (timestamp, key) => fired.push(`${timestamp}:${JSON.stringify(key)}@${clock.now()}`),
  );
  return { clock, fired, service, setKey: (key: unknown) => (currentKey = key) };
}

describe("KeyedTimerService", () => {
  it("fires timers in timestamp order, each when the clock reaches it, with its key", () => {
    const { clock, fired, service } = setup();
    service.register("c", 1300);
    service.register("a", 1100);
    service.register("b", 1200);
    clock.advanceTo(1150);
    expect(fired).toEqual(['1100:"a"@1100']);
    clock.advanceTo(2000);
    expect(fired).toEqual(['1100:"a"@1100', '1200:"b"@1200', '1300:"c"@1300']);
  });

  it("fires nothing before its time", () => {
    const { clock, fired, service } = setup();
    service.register("a", 1500);
    clock.advanceTo(1499);
    expect(fired).toEqual([]);
    expect(service.size).toBe(1);
    clock.advanceTo(1500);
    expect(fired).toEqual(['1500:"a"@1500']);
    expect(service.size).toBe(0);
  });

  it("keeps at most one timer per key and timestamp", () => {
    const { clock, fired, service } = setup();
    service.register("a", 1100);
    service.register("a", 1100);
    service.register({ user: 1 }, 1100);
    service.register({ user: 1 }, 1100); // an equal object key, not the same object
    service.register("b", 1100);
    service.register("a", 1200);
    expect(service.size).toBe(4);
    clock.advanceTo(2000);
    expect(fired.sort()).toEqual(['1100:"a"@1100', '1100:"b"@1100', '1100:{"user":1}@1100', '1200:"a"@1200']);
  });

  it("treats keys that print alike but differ in type as different keys", () => {
    const { clock, fired, service } = setup();
    service.register(1, 1100);
    service.register("1", 1100);
    service.register(null, 1100);
    service.register("null", 1100);
    service.register(true, 1100);
    service.register("true", 1100);
    expect(service.size).toBe(6);
    clock.advanceTo(1100);
    expect(fired.sort()).toEqual(['1100:"1"@1100', '1100:"null"@1100', '1100:"true"@1100', "1100:1@1100", "1100:null@1100", "1100:true@1100"]);
  });

  it("does not fire a deleted timer, and deleting one leaves the key's others", () => {
    const { clock, fired, service } = setup();
    service.register("a", 1100);
    service.register("a", 1200);
    service.register("b", 1100);
    service.delete("a", 1100);
    service.delete("zzz", 1100); // deleting what does not exist is harmless
    expect(service.size).toBe(2);
    clock.advanceTo(2000);
    expect(fired).toEqual(['1100:"b"@1100', '1200:"a"@1200']);
  });

  it("fires a timer registered again after deletion exactly once", () => {
    const { clock, fired, service } = setup();
    service.register("a", 1100);
    service.delete("a", 1100);
    service.register("a", 1100);
    clock.advanceTo(2000);
    expect(fired).toEqual(['1100:"a"@1100']);
  });

  it("fires a timer registered in the past at the next advance", () => {
    const { clock, fired, service } = setup();
    service.register("late", 500);
    expect(fired).toEqual([]);
    clock.advanceTo(1000);
    expect(fired).toEqual(['500:"late"@1000']);
  });

  it("fires a timer that a firing timer registers, when its time comes", () => {
    const clock = new SimulatedClock(0);
    const fired: number[] = [];
    const service: KeyedTimerService = new KeyedTimerService(
      clock,
      () => "k",
      (timestamp) => {
        fired.push(timestamp);
        if (timestamp < 400) service.register("k", timestamp + 100);
      },
    );
    service.register("k", 100);
    clock.advanceTo(1000);
    expect(fired).toEqual([100, 200, 300, 400]);
  });

  it("fires an earlier timer registered after a later one at its own time", () => {
    const { clock, fired, service } = setup();
    service.register("late", 1900);
    service.register("early", 1100);
    clock.advanceTo(1100);
    expect(fired).toEqual(['1100:"early"@1100']);
  });

  it("fires nothing after stop", () => {
    const { clock, fired, service } = setup();
    service.register("a", 1100);
    service.stop();
    service.register("b", 1200);
    clock.advanceTo(5000);
    expect(fired).toEqual([]);
  });

  it("gives user functions timers on the current key and the clock's time", () => {
    const { clock, fired, service, setKey } = setup();
    setKey("alice");
    service.forUser.registerProcessingTimeTimer(1100);
    service.forUser.registerProcessingTimeTimer(1200);
    setKey("bob");
    service.forUser.registerProcessingTimeTimer(1100);
    setKey("alice");
    service.forUser.deleteProcessingTimeTimer(1200);
    expect(service.forUser.currentProcessingTime()).toBe(1000);
    clock.advanceTo(3000);
    expect(fired.sort()).toEqual(['1100:"alice"@1100', '1100:"bob"@1100']);
    expect(service.forUser.currentProcessingTime()).toBe(3000);
  });

  it("fires every distinct (key, timestamp) once, in timestamp order, whatever the registrations", () => {
    const keys: unknown[] = ["a", "b", 1, 2, "1", { k: 1 }, [1], null, "null"];
    const op = fc.record({ del: fc.boolean(), key: fc.constantFrom(...keys), at: fc.integer({ min: 18, max: 28 }).map((x) => x * 50) });
    const describeKey = (key: unknown) => `${typeof key}:${JSON.stringify(key)}`;
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.array(fc.integer({ min: 1000, max: 1500 }), { maxLength: 5 }), (ops, advances) => {
        const clock = new SimulatedClock(1000);
        const fired: [number, string][] = [];
        const service = new KeyedTimerService(clock, () => undefined, (ts, key) => fired.push([ts, describeKey(key)]));
        const live = new Set<string>();
        for (const { del, key, at } of ops) {
          const id = `${at}|${describeKey(key)}`;
          if (del) {
            service.delete(key, at);
            live.delete(id);
          } else {
            service.register(key, at);
            live.add(id);
          }
        }
        expect(service.size).toBe(live.size);
        for (const to of [...advances, 1500]) clock.advanceTo(Math.max(clock.now(), to));
        expect(fired.map(([ts]) => ts)).toEqual(fired.map(([ts]) => ts).sort((x, y) => x - y));
        expect(fired.map(([ts, key]) => `${ts}|${key}`).sort()).toEqual([...live].sort());
        expect(service.size).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it("fires the timers of one timestamp in the order they were registered", () => {
    const clock = new SimulatedClock(0);
    const fired: unknown[] = [];
    const service = new KeyedTimerService(clock, () => undefined, (_ts, key) => fired.push(key));
    for (const key of ["c", 1, "a", { k: 2 }, "b"]) service.registerEventTime(key, 100);
    service.advanceWatermark(100);
    expect(fired).toEqual(["c", 1, "a", { k: 2 }, "b"]);
  });

  it("while the timers of a timestamp fire, a deleted one does not fire, and one registered again at that timestamp fires again", () => {
    const clock = new SimulatedClock(0);
    const fired: string[] = [];
    let again = true;
    const service: KeyedTimerService = new KeyedTimerService(clock, () => undefined, (ts, key) => {
      fired.push(`${ts}:${String(key)}`);
      if (key === "a") {
        service.deleteEventTime("c", 100); // not fired yet: must not fire
        service.registerEventTime("b", 100); // pending already: still one timer
        service.registerEventTime("d", 100); // new at the firing timestamp: fires in this advance
      }
      if (key === "d" && again) {
        again = false;
        service.registerEventTime("d", 100); // fired already: fires once more
      }
    });
    for (const key of ["a", "b", "c"]) service.registerEventTime(key, 100);
    service.registerEventTime("e", 150);
    service.advanceWatermark(200);
    expect(fired).toEqual(["100:a", "100:b", "100:d", "100:d", "150:e"]);
    expect(service.size).toBe(0);
  });
});
