// The job master's part of a takeover: the old execution's subtasks, as workers announce them, are
// told to stop once (with the leader's epoch) and followed until they have ended; a lost worker's
// are gone with it; the new attempt is above every old one.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { unpack } from "msgpackr";
import type { Bus } from "../../src/bus/bus.ts";
import type { ActorDeps } from "../../src/actors/actor-deps.ts";
import { leftoversEnded, leftoversLost, noteLeftover, takeoverCheckpoint, takeoverDetail, type Leftovers } from "../../src/actors/job-master-takeover.ts";
import { openCheckpointStorage } from "../../src/checkpoint/checkpoint-storage.ts";
import { metadataFor } from "../checkpoint/storage-contract.ts";
import { takeoverAttempt } from "../../src/coordinator/job-record.ts";
import { systemClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import type { SubmitJob, SubtaskId } from "../../src/messages/schema.ts";

function recordingDeps(epoch: number) {
  const sent: { subject: string; message: Record<string, unknown> }[] = [];
  const bus = { publish: (subject: string, data: Uint8Array) => sent.push({ subject, message: unpack(data) as Record<string, unknown> }) } as unknown as Bus;
  const deps: ActorDeps = { bus, clock: systemClock, log: silentLogger(), metrics: new MetricRegistry(), epoch };
  return { deps, sent };
}

const task = (subtaskIndex: number, attempt: number): SubtaskId => ({ jobId: "j1", vertexId: "v1", subtaskIndex, attempt });

describe("taking a job over", () => {
  it("tells each old subtask heard running to stop, once, with the leader's epoch, and waits until all have ended", () => {
    const { deps, sent } = recordingDeps(12);
    let leftovers: Leftovers = {};
    leftovers = noteLeftover(deps, leftovers, task(0, 1), "w-a", "running");
    leftovers = noteLeftover(deps, leftovers, task(1, 1), "w-b", "running");
    leftovers = noteLeftover(deps, leftovers, task(0, 1), "w-a", "running");
    expect(sent.map((s) => [s.subject, s.message.type, s.message.epoch, (s.message.task as SubtaskId).subtaskIndex])).toEqual([
      ["weir.worker.w-a.control", "cancel-task", 12, 0],
      ["weir.worker.w-b.control", "cancel-task", 12, 1],
    ]);
    expect(leftoversEnded(leftovers)).toBe(false);
    leftovers = noteLeftover(deps, leftovers, task(0, 1), "w-a", "canceled");
    expect(leftoversEnded(leftovers)).toBe(false);
    // A late announcement of an earlier state does not bring an ended subtask back.
    leftovers = noteLeftover(deps, leftovers, task(0, 1), "w-a", "running");
    leftovers = leftoversLost(leftovers, "w-b");
    expect(leftoversEnded(leftovers)).toBe(true);
    expect(sent).toHaveLength(2);
  });

  it("an ended subtask of the old execution is not told anything; none at all means nothing to wait for", () => {
    const { deps, sent } = recordingDeps(3);
    expect(leftoversEnded({})).toBe(true);
    expect(leftoversEnded(noteLeftover(deps, {}, task(0, 0), "w-a", "finished"))).toBe(true);
    expect(sent).toEqual([]);
  });

  it("deploys an attempt above the recorded one and above every announced one", () => {
    const record = { submission: {} as SubmitJob, attempt: 2 };
    expect(takeoverAttempt(record)).toBe(3);
    expect(takeoverAttempt(record, [1, 4])).toBe(5);
  });

  it("says who took the job over and from which checkpoint", () => {
    expect(takeoverDetail(9, 14)).toBe("taken over by a new leading job manager (leader epoch 9); restoring checkpoint 14");
    expect(takeoverDetail(9, undefined)).toBe("taken over by a new leading job manager (leader epoch 9); no checkpoint had completed: starting again from the beginning");
  });

  it("restores the newest checkpoint the storage holds, though the record names an older one that retention discarded", async () => {
    const dir = await mkdtemp(join(tmpdir(), "weir-takeover-checkpoint-"));
    const storage = await openCheckpointStorage(`file://${dir}`);
    try {
      const { deps } = recordingDeps(4);
      const locations = new Map<number, string>();
      for (const id of [1, 2, 3, 4, 5]) {
        const handle = await storage.writeState("j1", id, "v1-0", new TextEncoder().encode(`state at ${id}`));
        locations.set(id, await storage.commit(metadataFor("j1", id, [handle])));
      }
      for (const id of [1, 2, 3]) await storage.discard("j1", id);
      const record = (id?: number) => ({ submission: { jobId: "j1" } as SubmitJob, attempt: 0, checkpoint: id === undefined ? undefined : { id, location: locations.get(id) ?? `file://${dir}/j1/chk-${id}` } });

      // The record stopped at 2 while JetStream did not answer; 3, 4 and 5 completed, 2 was discarded.
      expect((await takeoverCheckpoint(deps, storage, record(2)))?.metadata.checkpointId).toBe(5);
      expect((await takeoverCheckpoint(deps, storage, record(5)))?.location).toBe(locations.get(5));
      expect((await takeoverCheckpoint(deps, storage, record()))?.metadata.checkpointId).toBe(5);
      // A record newer than anything stored is a loss to report, not a fresh start.
      await expect(takeoverCheckpoint(deps, storage, record(6))).rejects.toThrow(/chk-6/);
      await storage.discardJob("j1");
      expect(await takeoverCheckpoint(deps, storage, record())).toBeUndefined();
    } finally {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
