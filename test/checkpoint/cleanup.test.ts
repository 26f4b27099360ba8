// What checkpoints a job leaves behind in a directory: none once it has finished, and the retained
// ones — readable, restorable metadata — when it is canceled with retain-on-cancellation. The job
// master's storage waits for a commit still in flight before it cleans up (checked directly here).

import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadMetadata, StreamExecutionEnvironment } from "../../src/index.ts";
import { InlineCheckpointStorage } from "../../src/checkpoint/checkpoint-storage.ts";
import { trackCommits } from "../../src/checkpoint/tracked-storage.ts";
import type { CheckpointMetadata } from "../../src/checkpoint/checkpoint-metadata.ts";
import { heldSource } from "./held-source.ts";

const dir = mkdtempSync(join(tmpdir(), "weir-cleanup-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A pass-through map that counts completed checkpoints (shared by its copies). */
class CountsCompletions {
  // Shared on purpose by every subtask's copy: reached through a function field, which copies keep.
  private readonly completedRef: () => { count: number };
  constructor(completed: { count: number }) {
    this.completedRef = () => completed;
  }
  get completed(): { count: number } {
    return this.completedRef();
  }
  map(value: number): number {
    return value;
  }
  notifyCheckpointComplete(): void {
    this.completed.count += 1;
  }
}

/** Checkpoint folders left for a job (polled: the job master deletes them just after the job ends). */
async function leftovers(jobId: string, expectNone: boolean): Promise<string[]> {
  const jobDir = join(dir, jobId);
  for (let i = 0; i < 250; i++) {
    const left = existsSync(jobDir) ? readdirSync(jobDir).filter((f) => f.startsWith("chk-")) : [];
    if (!expectNone || left.length === 0) return left;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return existsSync(jobDir) ? readdirSync(jobDir).filter((f) => f.startsWith("chk-")) : [];
}

describe("checkpoints left behind", () => {
  it("the job master's storage waits for a commit still in flight (settled()) and refuses commits once sealed", async () => {
    const inner = new InlineCheckpointStorage();
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const slow = Object.assign(Object.create(inner) as InlineCheckpointStorage, { commit: async (m: CheckpointMetadata) => {
      await gate;
      return inner.commit(m);
    } });
    const storage = trackCommits(slow);
    const metadata: CheckpointMetadata = { format: 1, kind: "checkpoint", jobId: "j", jobName: "j", checkpointId: 7, timestamp: 0, epoch: 1, operators: [], subtasks: [] };
    const commit = storage.commit(metadata);
    let settled = false;
    const waiting = storage.settled().then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const stored = (id: number) => inner.metadataRecord("j", id) !== undefined;
    expect({ settled, stored: stored(7) }).toEqual({ settled: false, stored: false });
    finish();
    await commit;
    await waiting;
    expect({ settled, stored: stored(7) }).toEqual({ settled: true, stored: true });
    // Once the job has ended, a checkpoint completing late is not written at all.
    storage.seal();
    await expect(storage.commit({ ...metadata, checkpointId: 8 })).rejects.toThrow(/completed after its job ended/);
    expect({ seven: stored(7), eight: stored(8) }).toEqual({ seven: true, eight: false });
  });

  it("finished jobs checkpointing every 10 ms leave no checkpoint folder behind", async () => {
    for (let run = 0; run < 4; run++) {
      const completed = { count: 0 };
      const env = new StreamExecutionEnvironment({ parallelism: 2 });
      env.enableCheckpointing(10).getCheckpointConfig().setCheckpointStorage(`file://${dir}`);
      env
        // Enough keyed state (20,000 keys) that writing a checkpoint takes a while.
        .fromSource(heldSource({ count: 40_000, holdFrom: 20_000, release: () => completed.count >= 2, end: () => true, batch: 2_000 }), "Numbers")
        .map(new CountsCompletions(completed))
        .keyBy((v) => v % 20_000)
        .reduce((a, b) => a + b)
        .addSink(() => undefined);
      const result = await env.execute(`cleanup-${run}`);
      expect(completed.count).toBeGreaterThanOrEqual(2);
      expect(await leftovers(result.jobId, true)).toEqual([]);
    }
  });

  it("a job canceled with retain-on-cancellation keeps its latest checkpoint, whose metadata loads", async () => {
    const completed = { count: 0 };
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.enableCheckpointing(10).getCheckpointConfig().setCheckpointStorage(`file://${dir}`).setRetainOnCancellation(true).setNumRetainedCheckpoints(2);
    env
      .fromSource(heldSource({ count: 2_000, holdFrom: 2_000, release: () => true, end: () => false }), "Numbers")
      .map(new CountsCompletions(completed))
      .keyBy((v) => v % 10)
      .reduce((a, b) => a + b)
      .addSink(() => undefined);
    const client = await env.executeAsync("retained");
    while (completed.count < 6) await new Promise((resolve) => setTimeout(resolve, 10));
    await client.cancel();
    await expect(client.result).rejects.toThrow(/canceled/);
    // Retention deletes older checkpoints in the background: wait until at most the two retained remain.
    let left = await leftovers(client.jobId, false);
    for (let i = 0; i < 250 && left.length > 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      left = await leftovers(client.jobId, false);
    }
    expect(left.length).toBeGreaterThanOrEqual(1);
    expect(left.length).toBeLessThanOrEqual(2);
    const metadata = await loadMetadata(`file://${join(dir, client.jobId, left.sort().at(-1)!)}`);
    expect(metadata.kind).toBe("checkpoint");
    expect(metadata.subtasks.some((s) => s.handle !== undefined)).toBe(true);
  });
});
