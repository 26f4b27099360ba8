// Restore plans and state shares, pure: which old subtasks' state each new subtask reads, how
// operator state and source splits are re-split at another parallelism, and the errors a user
// meets (orphaned state, a changed max parallelism).

import { describe, expect, it } from "vitest";
import { planRestore, RestoreError } from "../../src/checkpoint/restore-plan.ts";
import type { CheckpointMetadata, StateHandle } from "../../src/checkpoint/checkpoint-metadata.ts";
import type { JobGraphSpec } from "../../src/messages/schema.ts";
import { restoredStateFor, SUBTASK_SNAPSHOT_FORMAT, type OldSubtaskSnapshot } from "../../src/state/operator-snapshot.ts";

const handle = (name: string): StateHandle => ({ kind: "blob", uri: `file:///chk/${name}.state`, bytes: 10, digest: "sha256:x" });

function graph(parallelism: number, uids = ["numbers", "counter"]): JobGraphSpec {
  return {
    jobName: "j",
    digest: "d",
    vertices: [
      { id: "v1", name: "Source", parallelism, maxParallelism: 128, nodes: [1], operatorUids: [uids[0]], isSource: true, bufferTimeoutMs: 100 },
      { id: "v3", name: "Counter", parallelism, maxParallelism: 128, nodes: [3], operatorUids: [uids[1]], isSource: false, bufferTimeoutMs: 100 },
    ],
    edges: [],
    config: { jobName: "j", parallelism, maxParallelism: 128, bufferTimeoutMs: 100 },
  };
}

function metadata(parallelism: number, finished: number[] = []): CheckpointMetadata {
  const subtasks = [];
  for (let i = 0; i < parallelism; i++) {
    subtasks.push(finished.includes(i) ? { vertexId: "v1", subtaskIndex: i, operatorUids: ["numbers"], finished: true } : { vertexId: "v1", subtaskIndex: i, operatorUids: ["numbers"], handle: handle(`v1-${i}`) });
    subtasks.push({ vertexId: "v3", subtaskIndex: i, operatorUids: ["counter"], handle: handle(`v3-${i}`) });
  }
  return {
    format: 1,
    kind: "savepoint",
    jobId: "old",
    jobName: "j",
    checkpointId: 7,
    timestamp: 0,
    epoch: 1,
    operators: [
      { uid: "numbers", name: "Source", parallelism, maxParallelism: 128 },
      { uid: "counter", name: "Counter", parallelism, maxParallelism: 128 },
    ],
    subtasks,
  };
}

describe("planRestore", () => {
  const names = (plan: ReturnType<typeof planRestore>, key: string) => plan.get(key)!.subtasks.map((s) => `${s.vertexId}[${s.subtaskIndex}]`);

  it("at another parallelism a subtask reads the old handles whose key groups overlap its own, and every handle with operator state", () => {
    const plan = planRestore(metadata(2), graph(3), { allowNonRestoredState: false });
    expect([...plan.keys()].sort()).toEqual(["v1#0", "v1#1", "v1#2", "v3#0", "v3#1", "v3#2"]);
    // 128 key groups: old subtasks hold 0..63 and 64..127; new ones 0..42, 43..85, 86..127.
    expect([0, 1, 2].map((i) => names(plan, `v3#${i}`))).toEqual([["v3[0]"], ["v3[0]", "v3[1]"], ["v3[1]"]]);
    expect(plan.get("v1#0")!.operators.map((o) => o.uid)).toEqual(["numbers"]);
    const withSplits = metadata(2);
    for (const s of withSplits.subtasks) if (s.vertexId === "v1") s.operatorState = true;
    expect(names(planRestore(withSplits, graph(3), { allowNonRestoredState: false }), "v1#2")).toEqual(["v1[0]", "v1[1]"]);
  });

  it("at the same parallelism a subtask reads its own handle only, unless there is union state, which everyone reads", () => {
    const plan = planRestore(metadata(2), graph(2), { allowNonRestoredState: false });
    expect([names(plan, "v3#0"), names(plan, "v3#1")]).toEqual([["v3[0]"], ["v3[1]"]]);
    const withUnion = metadata(2);
    for (const s of withUnion.subtasks) if (s.vertexId === "v3") s.unionState = true;
    expect(names(planRestore(withUnion, graph(2), { allowNonRestoredState: false }), "v3#0")).toEqual(["v3[0]", "v3[1]"]);
  });

  it("refuses state that no operator of the new job has, naming the uid, unless allowed", () => {
    expect(() => planRestore(metadata(2), graph(2, ["numbers", "renamed"]), { allowNonRestoredState: false })).toThrow(RestoreError);
    expect(() => planRestore(metadata(2), graph(2, ["numbers", "renamed"]), { allowNonRestoredState: false })).toThrow(/"counter" that the job no longer has/);
    expect(planRestore(metadata(2), graph(2, ["numbers", "renamed"]), { allowNonRestoredState: true }).get("v3#0")!.subtasks).toEqual([]);
  });

  it("refuses a changed max parallelism for an operator with state", () => {
    const changed = graph(2);
    changed.vertices[1].maxParallelism = 64;
    expect(() => planRestore(metadata(2), changed, { allowNonRestoredState: false })).toThrow(/maxParallelism 128 and now has 64/);
  });

  it("restores a subtask that had finished as finished at the same parallelism, and runs it at another", () => {
    const same = planRestore(metadata(2, [1]), graph(2), { allowNonRestoredState: false });
    expect([same.get("v1#0")!.finished, same.get("v1#1")!.finished]).toEqual([false, true]);
    const rescaled = planRestore(metadata(2, [1]), graph(3), { allowNonRestoredState: false });
    expect([0, 1, 2].map((i) => rescaled.get(`v1#${i}`)!.finished)).toEqual([false, false, false]);
    const allDone = planRestore(metadata(2, [0, 1]), graph(3), { allowNonRestoredState: false });
    expect([0, 1, 2].map((i) => allDone.get(`v1#${i}`)!.finished)).toEqual([true, true, true]);
  });
});

describe("restoredStateFor", () => {
  const old: OldSubtaskSnapshot[] = [
    { subtaskIndex: 0, snapshot: { format: SUBTASK_SNAPSHOT_FORMAT, operators: [{ uid: "src", splits: [{ next: 1 }, { next: 2 }], operatorState: [{ name: "buf", mode: "split", elements: [1, 2, 3] }, { name: "all", mode: "union", elements: ["a"] }] }] } },
    { subtaskIndex: 1, snapshot: { format: SUBTASK_SNAPSHOT_FORMAT, operators: [{ uid: "src", splits: [{ next: 3 }], operatorState: [{ name: "buf", mode: "split", elements: [4] }, { name: "all", mode: "union", elements: ["b"] }] }] } },
  ];

  it("re-splits source splits and list state evenly and gives union state to everyone when going from 2 to 3", () => {
    const shares = [0, 1, 2].map((i) => restoredStateFor("src", old, 2, i, 3));
    expect(shares.map((s) => s.splits)).toEqual([[{ next: 1 }], [{ next: 2 }], [{ next: 3 }]]);
    expect(shares.map((s) => s.operatorState.find((o) => o.name === "buf"))).toEqual([
      { name: "buf", mode: "split", elements: [1, 2] },
      { name: "buf", mode: "split", elements: [3] },
      { name: "buf", mode: "split", elements: [4] },
    ]);
    for (const share of shares) expect(share.operatorState.find((o) => o.name === "all")).toEqual({ name: "all", mode: "union", elements: ["a", "b"] });
  });

  it("keeps each subtask's own splits at an unchanged parallelism, and leaves splits undefined for readers that kept none", () => {
    expect(restoredStateFor("src", old, 2, 1, 2).splits).toEqual([{ next: 3 }]);
    expect(restoredStateFor("other", old, 2, 0, 2).splits).toBeUndefined();
  });
});
