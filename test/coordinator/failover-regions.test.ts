// Pipelined regions, pure: connected vertices form one region; a failure's regions; whether a
// restart of them is partial; redeployments keep slots and take the new attempt.

import { describe, expect, it } from "vitest";
import { isPartial, pipelinedRegions, redeployments, regionsOf } from "../../src/coordinator/failover-regions.ts";
import { createTracker } from "../../src/coordinator/task-tracker.ts";
import type { JobGraphSpec } from "../../src/messages/schema.ts";

const vertex = (id: string) => ({ id, name: id, parallelism: 1, maxParallelism: 128, nodes: [], operatorUids: [], isSource: false, bufferTimeoutMs: 100 });
const edge = (id: string, source: string, target: string) => ({ id, source, target, partitioner: { kind: "hash" as const }, sourceNode: 0, targetNode: 0, inputIndex: 0 });

const graph: JobGraphSpec = {
  jobName: "j",
  digest: "d",
  vertices: ["v1", "v2", "v3", "v4", "v5", "v6"].map(vertex),
  // v1 → v2 → v3 and v4 → v3 join into one region; v5 → v6 is another.
  edges: [edge("e0", "v1", "v2"), edge("e1", "v2", "v3"), edge("e2", "v4", "v3"), edge("e3", "v5", "v6")],
  config: { jobName: "j", parallelism: 1, maxParallelism: 128, bufferTimeoutMs: 100 },
};

describe("pipelined regions", () => {
  it("vertices connected by any edge share a region; independent pipelines do not", () => {
    expect(pipelinedRegions(graph)).toEqual([
      ["v1", "v2", "v3", "v4"],
      ["v5", "v6"],
    ]);
  });

  it("a failure restarts the whole regions it touches, which is partial while another region exists", () => {
    expect([...regionsOf(graph, ["v4"])].sort()).toEqual(["v1", "v2", "v3", "v4"]);
    expect(isPartial(graph, regionsOf(graph, ["v6"]))).toBe(true);
    expect(isPartial(graph, regionsOf(graph, ["v2", "v5"]))).toBe(false);
  });

  it("redeploys a region's subtasks in their slots as the new attempt", () => {
    const tracker = createTracker(graph.vertices.map((v, i) => ({ task: { jobId: "j", vertexId: v.id, subtaskIndex: 0, attempt: 0 }, workerId: `w${i % 2}`, slotIndex: 0 })));
    expect(redeployments(tracker, new Set(["v5", "v6"]), 3)).toEqual([
      { task: { jobId: "j", vertexId: "v5", subtaskIndex: 0, attempt: 3 }, workerId: "w0", slotIndex: 0 },
      { task: { jobId: "j", vertexId: "v6", subtaskIndex: 0, attempt: 3 }, workerId: "w1", slotIndex: 0 },
    ]);
  });
});
