// A lost control message delays a job but never hangs it: the job master re-sends deploy-task and
// cancel-task it has no answer to, workers announce their subtasks' states again with every
// heartbeat, and the dispatcher publishes a job's final status again. Each test drops the first
// message(s) of one kind on the embedded cluster's bus (at the sender: nobody receives them) and
// checks that the job still ends as it should, with exact output.

import { unpack } from "msgpackr";
import { afterEach, describe, expect, it } from "vitest";
import { RequestTimeoutError, type Bus } from "../../src/bus/bus.ts";
import { StreamExecutionEnvironment } from "../../src/cluster/environment.ts";
import { MiniCluster } from "../../src/cluster/mini-cluster.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import type { PreparedJob } from "../../src/api/executor.ts";
import { quietSource } from "../fixtures/quiet-source.ts";
import { waitFor } from "../fixtures/wait-for.ts";

interface Drop {
  /** Which sender's messages (the embedded cluster's actors: jobmanager, worker, client). */
  actor: string;
  matches: (message: Record<string, unknown>) => boolean;
  /** How many matching messages are lost (the first ones). */
  count: number;
}

/** Wraps each actor's bus so that the first matching messages it publishes are lost. */
function lossy(drops: Drop[]) {
  const dropped: Record<string, unknown>[] = [];
  const sent: { actor: string; message: Record<string, unknown> }[] = [];
  const wrap = (bus: Bus, actor: string): Bus => ({
    publish(subject, data, reply) {
      const message = safeUnpack(data);
      if (message) sent.push({ actor, message });
      const drop = message && drops.find((d) => d.actor === actor && d.count > 0 && d.matches(message));
      if (drop) {
        drop.count -= 1;
        dropped.push(message);
        return;
      }
      bus.publish(subject, data, reply);
    },
    subscribe: (subject, handler, options) => bus.subscribe(subject, handler, options),
    request(subject, data, options) {
      const message = safeUnpack(data);
      if (message) sent.push({ actor, message });
      const drop = message && drops.find((d) => d.actor === actor && d.count > 0 && d.matches(message));
      if (!drop) return bus.request(subject, data, options);
      // Lost on the way: the requester hears nothing and times out.
      drop.count -= 1;
      dropped.push(message);
      const timeoutMs = options?.timeoutMs ?? 5000;
      return new Promise((_resolve, reject) => setTimeout(() => reject(new RequestTimeoutError(subject, timeoutMs)), timeoutMs));
    },
    flush: () => bus.flush(),
    close: () => bus.close(),
  });
  return { wrap, dropped, sent };
}

function safeUnpack(data: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = unpack(data);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const N = 2000;

/** Sums per key of 1..N by n % 10, computed apart from the job. */
function expectedSums(): Map<number, number> {
  const sums = new Map<number, number>();
  for (let n = 1; n <= N; n++) sums.set(n % 10, (sums.get(n % 10) ?? 0) + n);
  return sums;
}

function keyedSumJob(): { job: PreparedJob; results: () => { k: number; s: number }[] } {
  const env = new StreamExecutionEnvironment({ parallelism: 2 });
  const out = env
    .fromSequence(1, N)
    .map((n) => ({ k: n % 10, s: n }))
    .keyBy((r) => r.k)
    .reduce((a, b) => ({ k: a.k, s: a.s + b.s }))
    .collect();
  const jobGraph = buildJobGraph(env.graph, env.jobConfig("lossy"));
  const sink = String(jobGraph.vertices.at(-1)!.nodes.at(-1));
  return { job: { jobGraph, streamGraph: env.graph, collectors: new Map([[sink, out as never]]) }, results: () => out.values as { k: number; s: number }[] };
}

function finalSums(results: { k: number; s: number }[]): Map<number, number> {
  const last = new Map<number, number>();
  for (const r of results) last.set(r.k, r.s);
  return last;
}

const clusters: MiniCluster[] = [];
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((c) => c.close()));
});

function cluster(drops: Drop[]) {
  const loss = lossy(drops);
  const mini = new MiniCluster({ slots: 4, wrapBus: loss.wrap });
  clusters.push(mini);
  return { mini, dropped: loss.dropped, sent: loss.sent };
}

describe("a lost control message", () => {
  it("deploy-task: the job master deploys the subtask again, and the job's output is exact", async () => {
    const { mini, dropped } = cluster([{ actor: "jobmanager", matches: (m) => m.type === "deploy-task", count: 2 }]);
    const { job, results } = keyedSumJob();
    const result = await mini.execute(job);
    expect(result.status).toBe("finished");
    expect(dropped.map((m) => m.type)).toEqual(["deploy-task", "deploy-task"]);
    expect(results()).toHaveLength(N);
    expect(finalSums(results())).toEqual(expectedSums());
  });

  it("task-state (running, finished): the worker announces it again, and the job finishes exact", async () => {
    const { mini, dropped } = cluster([
      { actor: "worker", matches: (m) => m.type === "task-state" && m.state === "running", count: 3 },
      { actor: "worker", matches: (m) => m.type === "task-state" && m.state === "finished", count: 2 },
    ]);
    const { job, results } = keyedSumJob();
    const result = await mini.execute(job);
    expect(result.status).toBe("finished");
    expect(dropped.map((m) => m.state)).toEqual(["running", "running", "running", "finished", "finished"]);
    expect(results()).toHaveLength(N);
    expect(finalSums(results())).toEqual(expectedSums());
  });

  it("every state of a subtask that has ended: the deploy sent again is ignored, and nothing runs twice", async () => {
    const ofFirstSource = (m: Record<string, unknown>) => m.type === "task-state" && (m.task as { vertexId: string; subtaskIndex: number }).vertexId === "v1" && (m.task as { subtaskIndex: number }).subtaskIndex === 0;
    // deploying, initializing, running, finished, and the first two announcements after it.
    const { mini, dropped, sent } = cluster([{ actor: "worker", matches: ofFirstSource, count: 6 }]);
    const { job, results } = keyedSumJob();
    const result = await mini.execute(job);
    expect(result.status).toBe("finished");
    expect(dropped.map((m) => m.state)).toEqual(["deploying", "initializing", "running", "finished", "finished", "finished"]);
    const deploysOfFirstSource = sent.filter(({ actor, message }) => actor === "jobmanager" && message.type === "deploy-task" && (message.task as { vertexId: string; subtaskIndex: number }).vertexId === "v1" && (message.task as { subtaskIndex: number }).subtaskIndex === 0);
    expect(deploysOfFirstSource.length).toBeGreaterThanOrEqual(2);
    // The worker started it once: one "deploying", the one that was lost.
    expect(sent.filter(({ actor, message }) => actor === "worker" && ofFirstSource(message) && message.state === "deploying")).toHaveLength(1);
    expect(results()).toHaveLength(N);
    expect(finalSums(results())).toEqual(expectedSums());
  });

  it("cancel-task: the job master cancels again, and the job ends canceled", async () => {
    const { mini, dropped } = cluster([{ actor: "jobmanager", matches: (m) => m.type === "cancel-task", count: 4 }]);
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const quiet = quietSource("x", 30_000);
    const out = env.fromSource(quiet.source, "quiet").map((s) => s.toUpperCase()).collect();
    const jobGraph = buildJobGraph(env.graph, env.jobConfig("quiet"));
    const sink = String(jobGraph.vertices.at(-1)!.nodes.at(-1));
    const client = await mini.submit({ jobGraph, streamGraph: env.graph, collectors: new Map([[sink, out as never]]) });
    // Running: the quiet source's one record went through.
    await waitFor(() => (out.values.length === 1 ? true : undefined), "the first record");
    await client.cancel();
    await expect(client.result).rejects.toThrow(/canceled/);
    expect(dropped.filter((m) => m.type === "cancel-task")).toHaveLength(4);
    expect(quiet.endedBySafetyTimeout()).toBe(false);
    quiet.end();
  });

  it("the final job-status: the dispatcher publishes it again, and the client learns the job finished", async () => {
    const { mini, dropped } = cluster([{ actor: "jobmanager", matches: (m) => m.type === "job-status" && m.status === "finished", count: 1 }]);
    const { job, results } = keyedSumJob();
    const result = await mini.execute(job);
    expect(result.status).toBe("finished");
    expect(dropped.map((m) => m.status)).toEqual(["finished"]);
    expect(finalSums(results())).toEqual(expectedSums());
  });

  it("trigger-checkpoint and checkpoint-ack: the coordinator sends the trigger again, subtasks answer again, and the checkpoint completes", async () => {
    const { mini, dropped, sent } = cluster([
      { actor: "jobmanager", matches: (m) => m.type === "trigger-checkpoint", count: 1 },
      { actor: "worker", matches: (m) => m.type === "checkpoint-ack", count: 2 },
    ]);
    const events = 4800;
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.enableCheckpointing(200);
    const out = env
      .fromGenerator((i) => i, { count: events, ratePerSecond: 600 })
      .keyBy((n) => n % 10)
      .reduce((a, b) => a + b)
      .collect();
    const jobGraph = buildJobGraph(env.graph, env.jobConfig("lossy-checkpoints"));
    const sink = String(jobGraph.vertices.at(-1)!.nodes.at(-1));
    const result = await mini.execute({ jobGraph, streamGraph: env.graph, collectors: new Map([[sink, out as never]]) });
    expect(result.status).toBe("finished");
    expect(dropped.map((m) => m.type)).toEqual(["trigger-checkpoint", "checkpoint-ack", "checkpoint-ack"]);
    // Checkpoint 1 lost its trigger, then two answers: it still completed, without a restart.
    const triggersOfFirst = sent.filter(({ message }) => message.type === "trigger-checkpoint" && message.checkpointId === 1);
    expect(triggersOfFirst.length).toBeGreaterThanOrEqual(3);
    expect(sent.some(({ message }) => message.type === "checkpoint-notify" && message.checkpointId === 1 && message.outcome === "complete")).toBe(true);
    expect(sent.some(({ message }) => message.type === "job-status" && message.status === "restarting")).toBe(false);
    // Every running sum of every key exactly once: lost = 0, duplicated = 0.
    const ascending = (a: number, b: number) => a - b;
    expect([...(out.values as number[])].sort(ascending)).toEqual(runningSums(events).sort(ascending));
  });
});

describe("a lost collect batch", () => {
  const lastOfLane = (m: Record<string, unknown>) => m.type === "collect" && m.last === true;

  it("the last batch of a lane: the sink sends it again until the client answers, and the output is exact", async () => {
    const { mini, dropped, sent } = cluster([{ actor: "worker", matches: lastOfLane, count: 1 }]);
    const { job, results } = keyedSumJob();
    const result = await mini.execute(job);
    expect(result.status).toBe("finished");
    expect(dropped.filter(lastOfLane)).toHaveLength(1);
    // Two lanes, one of them sent twice: the same batch, so the client takes it once.
    expect(sent.filter(({ message }) => lastOfLane(message))).toHaveLength(3);
    expect(results()).toHaveLength(N);
    expect(finalSums(results())).toEqual(expectedSums());
  });

  it("a batch before the last: the client names the gap, not the lane that never ended", async () => {
    const { mini } = cluster([{ actor: "worker", matches: (m) => m.type === "collect" && m.last === false, count: 1 }]);
    const { job } = keyedSumJob();
    await expect(mini.execute(job)).rejects.toThrow(/expected batch 1, got 2; results were lost/);
  });

  it("the last batch of a lane with checkpointing: sent again, and every record comes exactly once", async () => {
    const { mini, dropped } = cluster([{ actor: "worker", matches: lastOfLane, count: 2 }]);
    const events = 3000;
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.enableCheckpointing(200);
    const out = env
      .fromGenerator((i) => i, { count: events, ratePerSecond: 3000 })
      .keyBy((n) => n % 10)
      .reduce((a, b) => a + b)
      .collect();
    const jobGraph = buildJobGraph(env.graph, env.jobConfig("lossy-last-batch"));
    const sink = String(jobGraph.vertices.at(-1)!.nodes.at(-1));
    const result = await mini.execute({ jobGraph, streamGraph: env.graph, collectors: new Map([[sink, out as never]]) });
    expect(result.status).toBe("finished");
    expect(dropped.filter(lastOfLane)).toHaveLength(2);
    const ascending = (a: number, b: number) => a - b;
    expect([...(out.values as number[])].sort(ascending)).toEqual(runningSums(events).sort(ascending));
  });
});

/** Every running sum a keyed reduce of 0..events-1 by n % 10 emits, computed apart from the job. */
function runningSums(events: number): number[] {
  const sums = new Map<number, number>();
  const all: number[] = [];
  for (let i = 0; i < events; i++) {
    const next = (sums.get(i % 10) ?? 0) + i;
    sums.set(i % 10, next);
    all.push(next);
  }
  return all;
}
