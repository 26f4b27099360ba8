// State TTL on a simulated clock: the configuration (Flink's defaults, the builder, bad TTLs),
// when a value counts as expired, and that a restored value expires when it would have. The
// behaviour of every state kind, per backend, is in state-ttl-backends.test.ts.

import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/clock.ts";
import {
  HeapKeyedStateBackend,
  StateTtlConfig,
  StateVisibility,
  UpdateType,
  ValueStateDescriptor,
  isExpired,
} from "../../src/state/index.ts";

const TTL = 1_000;

function setup(config: StateTtlConfig = StateTtlConfig.newBuilder(TTL).build()) {
  const clock = new SimulatedClock(0);
  const backend = new HeapKeyedStateBackend({ clock });
  return { clock, backend, config };
}

describe("StateTtlConfig", () => {
  it("defaults to Flink's: update on create and write, never return expired, no snapshot cleanup", () => {
    const config = StateTtlConfig.newBuilder(TTL).build();
    expect([config.ttlMs, config.updateType, config.stateVisibility, config.cleanupInFullSnapshot]).toEqual([TTL, "OnCreateAndWrite", "NeverReturnExpired", false]);
  });

  it("the builder sets every option", () => {
    const config = StateTtlConfig.newBuilder(5)
      .setUpdateType(StateTtlConfig.UpdateType.OnReadAndWrite)
      .setStateVisibility(StateVisibility.ReturnExpiredIfNotCleanedUp)
      .cleanupFullSnapshot()
      .build();
    expect([config.updateType, config.stateVisibility, config.cleanupInFullSnapshot]).toEqual([UpdateType.OnReadAndWrite, "ReturnExpiredIfNotCleanedUp", true]);
  });

  it("refuses a TTL that is not a positive number of milliseconds", () => {
    expect(() => StateTtlConfig.newBuilder(0)).toThrow("a state TTL must be a positive number of milliseconds, got 0");
    expect(() => StateTtlConfig.newBuilder(Number.NaN)).toThrow("positive number");
  });

  it("a value has expired from the instant its timestamp plus the TTL is reached", () => {
    expect(isExpired({ value: 1, timestamp: 100 }, 50, 149)).toBe(false);
    expect(isExpired({ value: 1, timestamp: 100 }, 50, 150)).toBe(true);
  });
});

// How each state kind expires, on the heap and LMDB backends alike, is one behaviour table in
// state-ttl-backends.test.ts. Here: restoring keeps a value's timestamp.
describe("TTL across a restore", () => {
  it("a restored TTL value keeps its timestamp, so it expires when it would have", () => {
    const config = StateTtlConfig.newBuilder(TTL).build();
    const first = setup(config);
    first.backend.getState(new ValueStateDescriptor<number>("v").enableTimeToLive(config));
    first.backend.setCurrentKey("k");
    first.backend.getState(new ValueStateDescriptor<number>("v").enableTimeToLive(config)).update(7);
    const clock = new SimulatedClock(900);
    const restored = new HeapKeyedStateBackend({ clock });
    restored.restore(first.backend.snapshot());
    const v = restored.getState(new ValueStateDescriptor<number>("v").enableTimeToLive(config));
    restored.setCurrentKey("k");
    expect(v.value()).toBe(7);
    clock.advanceTo(1_000);
    expect(v.value()).toBeUndefined();
  });
});
