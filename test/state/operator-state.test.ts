// Operator state: list state split evenly on restore, union list state given whole to every
// subtask, broadcast state copied; the redistribution functions are pure and tested as such,
// and a CheckpointedFunction is driven through initialize → snapshot → redistribute → initialize.

import fc from "fast-check";
import { pack, unpack } from "msgpackr";
import { describe, expect, it } from "vitest";
import {
  HeapOperatorStateStore,
  HeapKeyedStateBackend,
  ListStateDescriptor,
  MapStateDescriptor,
  functionInitializationContext,
  isCheckpointedFunction,
  redistributeBroadcast,
  redistributeEvenSplit,
  redistributeOperatorState,
  redistributeUnion,
  type CheckpointedFunction,
  type FunctionInitializationContext,
  type ListState,
  type OperatorStateSnapshot,
} from "../../src/state/index.ts";

describe("redistributeEvenSplit", () => {
  it("cuts the concatenated lists into contiguous parts, the first ones taking the remainder", () => {
    expect(redistributeEvenSplit([[1, 2, 3], [4]], 3)).toEqual([[1, 2], [3], [4]]);
    expect(redistributeEvenSplit([[1, 2], [3, 4, 5]], 1)).toEqual([[1, 2, 3, 4, 5]]);
    expect(redistributeEvenSplit([[1], [2, 3, 4, 5, 6, 7]], 4)).toEqual([[1, 2], [3, 4], [5, 6], [7]]);
  });

  it("gives empty lists when there are fewer elements than subtasks", () => {
    expect(redistributeEvenSplit([[1], []], 3)).toEqual([[1], [], []]);
    expect(redistributeEvenSplit([], 2)).toEqual([[], []]);
  });

  it("leaves every subtask its own list when the parallelism does not change", () => {
    expect(redistributeEvenSplit([[1, 2, 3], [4]], 2)).toEqual([[1, 2, 3], [4]]);
  });

  it("keeps every element exactly once, in order, in parts whose sizes differ by at most one", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer(), { maxLength: 20 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 8 }), (lists, parallelism) => {
        const parts = redistributeEvenSplit(lists, parallelism);
        expect(parts).toHaveLength(parallelism);
        expect(parts.flat()).toEqual(lists.flat());
        if (parallelism !== lists.length) {
          const sizes = parts.map((p) => p.length);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        }
      }),
    );
  });

  it("refuses a parallelism that is not a positive integer", () => {
    expect(() => redistributeEvenSplit([[1]], 0)).toThrow("parallelism must be a positive integer, got 0");
  });
});

describe("redistributeUnion and redistributeBroadcast", () => {
  it("union gives every new subtask all elements of all old subtasks, in subtask order", () => {
    expect(redistributeUnion([["a", "b"], ["c"]], 3)).toEqual([
      ["a", "b", "c"],
      ["a", "b", "c"],
      ["a", "b", "c"],
    ]);
  });

  it("union parts are independent copies", () => {
    const parts = redistributeUnion([[1]], 2);
    parts[0].push(2);
    expect(parts[1]).toEqual([1]);
  });

  it("broadcast gives new subtask i the copy of old subtask i mod n", () => {
    expect(redistributeBroadcast(["s0", "s1"], 5)).toEqual(["s0", "s1", "s0", "s1", "s0"]);
    expect(redistributeBroadcast(["s0", "s1", "s2"], 1)).toEqual(["s0"]);
  });
});

describe("redistributeOperatorState", () => {
  const subtask0: OperatorStateSnapshot[] = [
    { name: "offsets", mode: "split", elements: [1, 2, 3] },
    { name: "seen", mode: "union", elements: ["x"] },
    { name: "rules", mode: "broadcast", entries: [["r", 1]] },
  ];
  const subtask1: OperatorStateSnapshot[] = [
    { name: "offsets", mode: "split", elements: [4] },
    { name: "seen", mode: "union", elements: ["y"] },
    { name: "rules", mode: "broadcast", entries: [["r", 1]] },
  ];

  it("redistributes each state by its mode", () => {
    const parts = redistributeOperatorState([subtask0, subtask1], 3);
    expect(parts).toEqual([
      [
        { name: "offsets", mode: "split", elements: [1, 2] },
        { name: "seen", mode: "union", elements: ["x", "y"] },
        { name: "rules", mode: "broadcast", entries: [["r", 1]] },
      ],
      [
        { name: "offsets", mode: "split", elements: [3] },
        { name: "seen", mode: "union", elements: ["x", "y"] },
        { name: "rules", mode: "broadcast", entries: [["r", 1]] },
      ],
      [
        { name: "offsets", mode: "split", elements: [4] },
        { name: "seen", mode: "union", elements: ["x", "y"] },
        { name: "rules", mode: "broadcast", entries: [["r", 1]] },
      ],
    ]);
  });

  it("a state that one subtask lacks counts as empty there", () => {
    const parts = redistributeOperatorState([[{ name: "l", mode: "split", elements: [1, 2] }], []], 1);
    expect(parts).toEqual([[{ name: "l", mode: "split", elements: [1, 2] }]]);
  });

  it("refuses a name with different modes in different subtasks", () => {
    expect(() => redistributeOperatorState([[{ name: "l", mode: "split", elements: [] }], [{ name: "l", mode: "union", elements: [] }]], 2)).toThrow(
      'operator state "l" is split state in one subtask and union in another',
    );
  });
});

describe("HeapOperatorStateStore", () => {
  it("hands out list, union list and broadcast states and snapshots them as plain data", () => {
    const store = new HeapOperatorStateStore();
    expect(store.isRestored).toBe(false);
    store.getListState(new ListStateDescriptor<number>("split")).addAll([1, 2]);
    store.getUnionListState(new ListStateDescriptor<string>("union")).add("u");
    store.getBroadcastState(new MapStateDescriptor<string, number>("b")).put("k", 1);
    expect(store.getRegisteredStateNames().sort()).toEqual(["b", "split", "union"]);
    expect(unpack(pack(store.snapshot()))).toEqual([
      { name: "split", mode: "split", elements: [1, 2] },
      { name: "union", mode: "union", elements: ["u"] },
      { name: "b", mode: "broadcast", entries: [["k", 1]] },
    ]);
  });

  it("a restored store holds its share, and states not asked for again are kept for the next snapshot", () => {
    const store = new HeapOperatorStateStore([
      { name: "split", mode: "split", elements: [3] },
      { name: "untouched", mode: "union", elements: ["z"] },
    ]);
    expect(store.isRestored).toBe(true);
    expect(store.getListState(new ListStateDescriptor<number>("split")).get()).toEqual([3]);
    expect(store.snapshot()).toContainEqual({ name: "untouched", mode: "union", elements: ["z"] });
  });

  it("an empty restore still counts as restored", () => {
    expect(new HeapOperatorStateStore([]).isRestored).toBe(true);
  });

  it("refuses a name asked for with another mode", () => {
    const store = new HeapOperatorStateStore();
    store.getListState(new ListStateDescriptor<number>("l"));
    expect(() => store.getUnionListState(new ListStateDescriptor<number>("l"))).toThrow('operator state "l" is list state; it cannot be used as union list state');
    expect(() => store.getBroadcastState(new MapStateDescriptor<string, number>("l"))).toThrow('operator state "l" is list state, not broadcast state');
  });

  it("operator list state supports update and clear", () => {
    const list = new HeapOperatorStateStore().getListState(new ListStateDescriptor<number>("l"));
    list.addAll([1, 2]);
    list.update([9]);
    expect(list.get()).toEqual([9]);
    list.clear();
    expect(list.get()).toEqual([]);
    expect(() => list.add(undefined as unknown as number)).toThrow("cannot add undefined");
  });
});

/** A sink that buffers records and keeps the buffer in operator list state (Flink's BufferingSink example). */
class BufferingSink implements CheckpointedFunction {
  buffer: number[] = [];
  seen: string[] = [];
  restored = false;
  private state!: ListState<number>;
  private subtasks!: ListState<string>;

  constructor(private readonly name: string) {}

  initializeState(ctx: FunctionInitializationContext): void {
    this.state = ctx.getOperatorStateStore().getListState(new ListStateDescriptor<number>("buffer"));
    this.subtasks = ctx.getOperatorStateStore().getUnionListState(new ListStateDescriptor<string>("subtasks"));
    this.restored = ctx.isRestored();
    if (this.restored) {
      this.buffer = this.state.get();
      this.seen = this.subtasks.get();
    }
  }

  invoke(value: number): void {
    this.buffer.push(value);
  }

  snapshotState(): void {
    this.state.update(this.buffer);
    this.subtasks.update([this.name]);
  }
}

describe("CheckpointedFunction", () => {
  it("is recognised by its two methods", () => {
    expect(isCheckpointedFunction(new BufferingSink("s"))).toBe(true);
    expect(isCheckpointedFunction({ snapshotState() {} })).toBe(false);
    expect(isCheckpointedFunction((x: number) => x)).toBe(false);
  });

  it("state survives snapshot, redistribution to another parallelism and initializeState", async () => {
    const stores = [new HeapOperatorStateStore(), new HeapOperatorStateStore()];
    const sinks = [new BufferingSink("s0"), new BufferingSink("s1")];
    sinks.forEach((sink, i) => sink.initializeState(functionInitializationContext(stores[i])));
    expect(sinks.every((s) => !s.restored)).toBe(true);
    [1, 2, 3, 4, 5].forEach((n) => sinks[0].invoke(n));
    [6, 7].forEach((n) => sinks[1].invoke(n));

    for (const sink of sinks) await sink.snapshotState();
    const snapshots = unpack(pack(stores.map((s) => s.snapshot()))) as OperatorStateSnapshot[][];
    const shares = redistributeOperatorState(snapshots, 3);
    const restored = shares.map((share, i) => {
      const sink = new BufferingSink(`n${i}`);
      sink.initializeState(functionInitializationContext(new HeapOperatorStateStore(share)));
      return sink;
    });

    expect(restored.every((s) => s.restored)).toBe(true);
    expect(restored.map((s) => s.buffer)).toEqual([[1, 2, 3], [4, 5], [6, 7]]);
    expect(restored.map((s) => s.seen)).toEqual([
      ["s0", "s1"],
      ["s0", "s1"],
      ["s0", "s1"],
    ]);
  });

  it("the initialization context reaches the keyed state store when there is one", () => {
    const keyed = new HeapKeyedStateBackend();
    expect(functionInitializationContext(new HeapOperatorStateStore(), keyed).getKeyedStateStore()).toBe(keyed);
    expect(functionInitializationContext(new HeapOperatorStateStore()).getKeyedStateStore()).toBeUndefined();
  });
});
