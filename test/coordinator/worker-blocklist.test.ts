// The resource manager's blocklist: a worker reported unresponsive is blocked for a minute, a repeat
// offender for twice as long each time (up to an hour), and one that behaved for an hour since its
// last block starts again from a minute.

import { describe, expect, it } from "vitest";
import { BLOCK_MS, MAX_BLOCK_MS, blockWorker, emptyBlocklist, isBlocked, pruneBlocklist } from "../../src/coordinator/worker-blocklist.ts";

describe("the worker blocklist", () => {
  it("blocks for a minute, then twice as long for each repeat, up to an hour", () => {
    let list = blockWorker(emptyBlocklist, "w1", 0);
    expect(isBlocked(list, "w1", BLOCK_MS - 1)).toBe(true);
    expect(isBlocked(list, "w1", BLOCK_MS)).toBe(false);
    expect(isBlocked(list, "w2", 0)).toBe(false);
    const lengths: number[] = [];
    let now = BLOCK_MS;
    for (let i = 0; i < 8; i++) {
      list = blockWorker(list, "w1", now);
      lengths.push(list.w1.lengthMs);
      now = list.w1.until + 1;
    }
    expect(lengths).toEqual([2, 4, 8, 16, 32, 60, 60, 60].map((m) => m * 60_000));
  });

  it("starts from a minute again after an hour of good behaviour, and prunes blocks that old", () => {
    const list = blockWorker(blockWorker(emptyBlocklist, "w1", 0), "w1", BLOCK_MS);
    const later = list.w1.until + MAX_BLOCK_MS;
    expect(blockWorker(list, "w1", later).w1.lengthMs).toBe(BLOCK_MS);
    expect(pruneBlocklist(list, later)).toEqual({});
    expect(pruneBlocklist(list, later - 1)).toBe(list);
  });
});
