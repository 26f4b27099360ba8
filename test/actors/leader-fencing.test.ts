// Fencing by leader epoch: the job manager stamps its epoch on every control message it sends to
// workers and subtasks, and a worker refuses (counts, logs once) those of an older epoch than it
// has seen, so a deposed leader can neither cancel, deploy nor trigger checkpoints.

import { describe, expect, it } from "vitest";
import { StreamExecutionEnvironment } from "../../src/cluster/environment.ts";
import { MiniCluster } from "../../src/cluster/mini-cluster.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import { decode, encode } from "../../src/messages/codec.ts";
import { LeaderFence } from "../../src/messages/leader-fence.ts";
import { subjects } from "../../src/bus/subjects.ts";
import type { SubtaskId } from "../../src/messages/schema.ts";
import { quietSource } from "../fixtures/quiet-source.ts";
import { waitFor } from "../fixtures/wait-for.ts";

describe("the leader fence", () => {
  it("admits messages without an epoch and of the highest epoch seen or later, and refuses older ones", () => {
    const fence = new LeaderFence();
    const outcomes = [undefined, 5, 5, 7, 6, undefined, 7, 3].map((epoch) => fence.admit(epoch));
    expect(outcomes.map((o) => (o.kind === "stale" ? `stale ${o.epoch}<${o.highest}` : "admitted"))).toEqual(["admitted", "admitted", "admitted", "admitted", "stale 6<7", "admitted", "admitted", "stale 3<7"]);
    expect(fence.highest).toBe(7);
  });
});

describe("a worker under a leader of epoch 7", () => {
  it("ignores cancel-task and trigger-checkpoint of a deposed leader (epoch 6), counted as rejected; the leader's own cancel still works", async () => {
    const mini = new MiniCluster({ slots: 2, leaderEpoch: 7 });
    const sent: Record<string, unknown>[] = [];
    mini.bus.subscribe(subjects.everything(), (data) => {
      const outcome = decode(data);
      if (outcome.ok) sent.push(outcome.message as unknown as Record<string, unknown>);
    });
    const quiet = quietSource("x", 30_000);
    try {
      const env = new StreamExecutionEnvironment({ parallelism: 1 });
      const out = env.fromSource(quiet.source, "quiet").map((s) => s.toUpperCase()).collect();
      const jobGraph = buildJobGraph(env.graph, env.jobConfig("fenced"));
      const sink = String(jobGraph.vertices.at(-1)!.nodes.at(-1));
      const client = await mini.submit({ jobGraph, streamGraph: env.graph, collectors: new Map([[sink, out as never]]) });
      await waitFor(() => (out.values.length === 1 ? true : undefined), "the first record", 20_000);
      // Every control message the job manager sent a worker so far carries its epoch.
      const deploys = sent.filter((m) => m.type === "deploy-task");
      expect(deploys.length).toBeGreaterThan(0);
      expect(deploys.every((m) => m.epoch === 7)).toBe(true);

      const task = deploys[0].task as SubtaskId;
      mini.bus.publish(subjects.workerControl("embedded-worker"), encode({ type: "cancel-task", task, epoch: 6 }));
      mini.bus.publish(subjects.checkpointControl(task.jobId), encode({ type: "trigger-checkpoint", jobId: task.jobId, checkpointId: 99, timestamp: Date.now(), mode: "exactly-once", epoch: 6 }));
      const rejected = () => mini.metrics.sum("weir_rejected_messages_total", { reason: "stale-epoch" });
      await waitFor(() => (rejected() >= 2 ? true : undefined), "both messages to be rejected", 10_000);
      // Still running: the deposed leader's cancel did nothing, and no checkpoint 99 was taken.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(sent.some((m) => m.type === "task-state" && m.state === "canceling")).toBe(false);
      expect(sent.some((m) => m.type === "checkpoint-ack" && m.checkpointId === 99)).toBe(false);

      await client.cancel();
      await expect(client.result).rejects.toThrow(/canceled/);
      expect(sent.filter((m) => m.type === "cancel-task" && m.epoch === 7).length).toBeGreaterThan(0);
    } finally {
      quiet.end();
      await mini.close();
    }
  });
});
