// The status line of an attached `weir run --nats`: records/s in (the sources' output) and out
// (the sinks' input), the last completed checkpoint and its age, restarts.

import { describe, expect, it, vi } from "vitest";
import { formatRunStatus, startProgressReporter } from "../../src/cli/run-status.ts";
import type { CheckpointView, JobDetails, VertexView } from "../../src/observability/views.ts";

function vertex(id: string, isSource: boolean, recordsInPerSecond: number, recordsOutPerSecond: number): VertexView {
  const metrics = { recordsIn: 0, recordsOut: 0, recordsInPerSecond, recordsOutPerSecond, busyMsPerSecond: 0, backPressuredMsPerSecond: 0, inputWatermark: null, outputWatermark: null };
  return { id, name: id, parallelism: 1, maxParallelism: 128, isSource, slotSharingGroup: "default", states: { running: 1 }, metrics, subtasks: [] };
}

function checkpoint(id: number, status: CheckpointView["status"], triggeredAt: number, durationMs: number, savepoint = false): CheckpointView {
  return { id, status, savepoint, triggeredAt, durationMs, bytes: 0, maxAlignmentMs: 0, acknowledged: 2, total: 2, subtasks: [] };
}

function job(overrides: Partial<JobDetails>): JobDetails {
  return {
    id: "j1",
    name: "counts",
    status: "running",
    startTime: 0,
    durationMs: 60_000,
    parallelism: 2,
    tasks: { running: 4 },
    restarts: 0,
    plan: { vertices: [], edges: [] },
    checkpoints: { counts: { completed: 0, failed: 0, inProgress: 0 }, history: [] },
    exceptions: [],
    config: {},
    ...overrides,
  };
}

describe("the status line of an attached run", () => {
  it("sums the sources' output and the sinks' input, and tells the last completed checkpoint's age", () => {
    const plan = {
      // two sources into a map into two sinks (the map's rates count for neither side)
      vertices: [vertex("v1", true, 0, 1000), vertex("v2", true, 0, 250), vertex("v3", false, 1250, 1250), vertex("v4", false, 600, 0), vertex("v5", false, 650, 0)],
      edges: ["v1>v3", "v2>v3", "v3>v4", "v3>v5"].map((e, i) => ({ id: `e${i}`, source: e.split(">")[0], target: e.split(">")[1], partitioner: "forward" })),
    };
    const history = [checkpoint(9, "in_progress", 95_000, 0), checkpoint(8, "completed", 90_000, 500, true), checkpoint(7, "completed", 80_000, 1500), checkpoint(6, "completed", 70_000, 100)];
    expect(formatRunStatus(job({ plan, checkpoints: { counts: { completed: 3, failed: 0, inProgress: 1 }, history }, restarts: 2 }), 100_000)).toBe(
      "job j1 running: in 1.3k/s, out 1.3k/s, checkpoint 7 (18s ago), 2 restart(s)",
    );
  });

  it("says when no checkpoint has completed yet", () => {
    const plan = { vertices: [vertex("v1", true, 0, 12)], edges: [] };
    expect(formatRunStatus(job({ plan, status: "scheduling" }), 5)).toBe("job j1 scheduling: in 12/s, out 0/s, no checkpoint yet, 0 restart(s)");
  });
});

describe("the status reporter", () => {
  const running = job({ id: "0123456789abcdef", plan: { vertices: [vertex("v1", true, 0, 40)], edges: [] } });

  it("on a terminal rewrites one line in place, cut to the terminal's width, and clears it when stopped", async () => {
    vi.useFakeTimers();
    try {
      const written: string[] = [];
      const reporter = startProgressReporter({ fetchJob: async () => running, tty: true, intervalMs: 1000, columns: 40, write: (t) => written.push(t) });
      await vi.advanceTimersByTimeAsync(2000);
      reporter.stop();
      await vi.advanceTimersByTimeAsync(2000);
      const line = "\rjob 0123456789abcdef running: in 40/s,…\x1b[K";
      expect(written).toEqual([line, line, "\r\x1b[K"]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("elsewhere prints whole lines, and skips a report whose query fails", async () => {
    vi.useFakeTimers();
    try {
      const written: string[] = [];
      let calls = 0;
      const fetchJob = async () => {
        calls += 1;
        if (calls === 2) throw new Error("the job manager did not answer");
        return running;
      };
      const reporter = startProgressReporter({ fetchJob, tty: false, intervalMs: 10_000, columns: 40, write: (t) => written.push(t) });
      await vi.advanceTimersByTimeAsync(30_000);
      reporter.stop();
      const line = "job 0123456789abcdef running: in 40/s, out 0/s, no checkpoint yet, 0 restart(s)\n";
      expect(written).toEqual([line, line]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("says nothing while the job waits for slots (the scheduling progress line does)", async () => {
    vi.useFakeTimers();
    try {
      const written: string[] = [];
      let calls = 0;
      const fetchJob = async () => (++calls <= 2 ? { ...running, status: "scheduling" as const } : running);
      const reporter = startProgressReporter({ fetchJob, tty: false, intervalMs: 1000, columns: 200, write: (t) => written.push(t) });
      await vi.advanceTimersByTimeAsync(3000);
      reporter.stop();
      expect(written).toEqual(["job 0123456789abcdef running: in 40/s, out 0/s, no checkpoint yet, 0 restart(s)\n"]);
    } finally {
      vi.useRealTimers();
    }
  });
});
