// Channel selection per partitioner, as a producing subtask sees it: which consumer each record
// goes to, and the errors a misconfigured edge gets.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PartitionerSpec } from "../../src/messages/schema.ts";
import { subtaskForKey } from "../../src/core/key-groups.ts";
import { BROADCAST, createChannelSelector, rescaleTargets, type SelectorContext } from "../../src/runtime/partitioners.ts";

function selector(kind: PartitionerSpec["kind"], overrides: Partial<SelectorContext> = {}) {
  return createChannelSelector({ spec: { kind } as PartitionerSpec, producerIndex: 0, producerParallelism: 4, consumerParallelism: 4, maxParallelism: 128, ...overrides });
}

/** The channels chosen for `count` records. */
function route(sel: { select(record: unknown): number }, count: number, record: (i: number) => unknown = (i) => i): number[] {
  return Array.from({ length: count }, (_, i) => sel.select(record(i)));
}

describe("forward", () => {
  it("sends every record of producer i to consumer i", () => {
    for (let producer = 0; producer < 4; producer++) {
      expect(route(selector("forward", { producerIndex: producer }), 5)).toEqual([producer, producer, producer, producer, producer]);
    }
  });

  it("refuses unequal parallelism and suggests rebalance or rescale", () => {
    expect(() => selector("forward", { producerParallelism: 2, consumerParallelism: 3 })).toThrow(
      "forward partitioning needs equal parallelism on both sides (2 → 3): use rebalance() or rescale()",
    );
  });
});

describe("global and broadcast", () => {
  it("global sends everything to consumer 0, from any producer", () => {
    expect(route(selector("global", { producerIndex: 3 }), 6)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("broadcast answers BROADCAST for every record", () => {
    expect(BROADCAST).toBe(-1);
    expect(route(selector("broadcast", { producerIndex: 2 }), 3)).toEqual([BROADCAST, BROADCAST, BROADCAST]);
  });
});

describe("rebalance", () => {
  it("goes round robin over all consumers, starting at the producer's own index", () => {
    expect(route(selector("rebalance", { producerIndex: 2, producerParallelism: 3, consumerParallelism: 4 }), 9)).toEqual([2, 3, 0, 1, 2, 3, 0, 1, 2]);
  });

  it("starts at the producer index modulo the consumer count when there are more producers", () => {
    expect(route(selector("rebalance", { producerIndex: 5, producerParallelism: 6, consumerParallelism: 2 }), 4)).toEqual([1, 0, 1, 0]);
  });

  it("sends every record to the only consumer when there is one", () => {
    expect(route(selector("rebalance", { producerIndex: 3, consumerParallelism: 1 }), 3)).toEqual([0, 0, 0]);
  });
});

describe("rescale", () => {
  it("splits consumers into contiguous blocks, one per producer", () => {
    expect([0, 1].map((p) => rescaleTargets(p, 2, 4))).toEqual([
      [0, 2],
      [2, 2],
    ]);
    expect([0, 1, 2].map((p) => rescaleTargets(p, 3, 7))).toEqual([
      [0, 2],
      [2, 2],
      [4, 3],
    ]);
  });

  it("covers each consumer exactly once when there are at least as many consumers as producers", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 200 }), (producers, extra) => {
        const consumers = producers + extra;
        const fed: number[] = [];
        for (let p = 0; p < producers; p++) {
          const [first, count] = rescaleTargets(p, producers, consumers);
          expect(count).toBeGreaterThanOrEqual(1);
          for (let c = first; c < first + count; c++) fed.push(c);
        }
        expect(fed).toEqual(Array.from({ length: consumers }, (_, i) => i));
      }),
    );
  });

  it("gives each producer one consumer, and every consumer some producer, when there are fewer consumers", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), (consumers, extra) => {
        const producers = consumers + extra;
        const targets = Array.from({ length: producers }, (_, p) => rescaleTargets(p, producers, consumers));
        for (const [first, count] of targets) {
          expect(count).toBe(1);
          expect(first).toBeGreaterThanOrEqual(0);
          expect(first).toBeLessThan(consumers);
        }
        expect(new Set(targets.map(([first]) => first)).size).toBe(consumers);
      }),
    );
  });

  it("goes round robin within the producer's block only", () => {
    expect(route(selector("rescale", { producerIndex: 2, producerParallelism: 3, consumerParallelism: 7 }), 7)).toEqual([4, 5, 6, 4, 5, 6, 4]);
    expect(route(selector("rescale", { producerIndex: 3, producerParallelism: 4, consumerParallelism: 2 }), 3)).toEqual([1, 1, 1]);
  });
});

describe("shuffle", () => {
  it("is deterministic per producer, so a replay routes records the same way", () => {
    for (let producer = 0; producer < 4; producer++) {
      expect(route(selector("shuffle", { producerIndex: producer }), 200)).toEqual(route(selector("shuffle", { producerIndex: producer }), 200));
    }
  });

  it("gives different producers different sequences", () => {
    const sequences = [0, 1, 2, 3].map((producer) => route(selector("shuffle", { producerIndex: producer }), 50).join(","));
    expect(new Set(sequences).size).toBe(4);
  });

  it("chooses channels in range, spread roughly evenly", () => {
    for (const consumers of [1, 2, 3, 7, 16]) {
      for (const producer of [0, 1, 9]) {
        const counts = new Array<number>(consumers).fill(0);
        const channels = route(selector("shuffle", { producerIndex: producer, consumerParallelism: consumers }), 10_000);
        expect(channels.filter((c) => !(Number.isInteger(c) && c >= 0 && c < consumers))).toEqual([]);
        for (const c of channels) counts[c]++;
        const expected = 10_000 / consumers;
        for (const count of counts) expect(Math.abs(count - expected)).toBeLessThan(expected * 0.2);
      }
    }
  });

  it("does not simply cycle through the channels", () => {
    const channels = route(selector("shuffle", { consumerParallelism: 4 }), 40);
    const cyclic = channels.every((c, i) => i === 0 || c === (channels[i - 1] + 1) % 4);
    expect(cyclic).toBe(false);
  });
});

describe("hash", () => {
  type Order = { user: string; amount: number };
  const keySelector = (record: unknown) => (record as Order).user;

  it("sends records with the same key to the same channel, whatever else they carry", () => {
    const sel = selector("hash", { keySelector, consumerParallelism: 5 });
    const first = new Map<string, number>();
    for (let i = 0; i < 500; i++) {
      const record: Order = { user: `user-${i % 37}`, amount: i };
      const channel = sel.select(record);
      expect(channel).toBe(first.get(record.user) ?? channel);
      first.set(record.user, channel);
    }
    expect(new Set(first.values()).size).toBeGreaterThan(1);
  });

  it("chooses subtaskForKey(key, consumers, maxParallelism), from every producer", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 0, max: 15 }), fc.constantFrom(16, 128, 1000), (user, consumers, producer, maxParallelism) => {
        const sel = selector("hash", { keySelector, consumerParallelism: consumers, producerIndex: producer, maxParallelism });
        expect(sel.select({ user, amount: 1 })).toBe(subtaskForKey(user, consumers, maxParallelism));
      }),
    );
  });

  it("needs a key selector", () => {
    expect(() => selector("hash")).toThrow("hash partitioning needs a key selector");
  });
});

describe("custom", () => {
  const keySelector = (record: unknown) => record as number;

  it("sends each record to the partition the user function returns for its key", () => {
    const calls: [unknown, number][] = [];
    const sel = selector("custom", {
      keySelector: (record) => (record as { id: number }).id,
      customPartitioner: (key, n) => {
        calls.push([key, n]);
        return (key as number) % n;
      },
      consumerParallelism: 3,
    });
    expect(route(sel, 5, (i) => ({ id: i + 10 }))).toEqual([1, 2, 0, 1, 2]);
    expect(calls).toEqual([
      [10, 3],
      [11, 3],
      [12, 3],
      [13, 3],
      [14, 3],
    ]);
  });

  it.each([4, -1, 1.5, NaN])("rejects a partition of %s with a message naming the valid range", (bad) => {
    const sel = selector("custom", { keySelector, customPartitioner: () => bad });
    expect(() => sel.select(1)).toThrow(`custom partitioner returned ${bad}; it must return an integer in [0, 4)`);
  });

  it("needs a key selector and a partitioner", () => {
    expect(() => selector("custom", { customPartitioner: () => 0 })).toThrow("custom partitioning needs a key selector");
    expect(() => selector("custom", { keySelector })).toThrow("custom partitioning needs a partitioner");
  });
});
