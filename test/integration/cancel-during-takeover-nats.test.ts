// A job canceled while a new leading job manager takes it over: the leader is killed (SIGKILL) and
// the cancel comes while the new leader still listens for the old execution's subtasks. The job
// ends canceled only once every old subtask a worker announces has been told to stop and has
// ended, so nothing of the job runs on afterwards.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { runsSubtasksOf, until } from "../fixtures/weir-run.ts";
import { connect } from "@nats-io/transport-node";
import { subjects } from "../../src/bus/subjects.ts";
import { decode, encode } from "../../src/messages/codec.ts";

const JOB = "test/fixtures/jobs/endless-checkpointed.ts";
const leads = (jobManager: WeirProcess) => /"msg":"leading \(epoch \d+\)/.test(jobManager.logs());
const canceledSubtasks = (logs: string, jobId: string) => logs.split("\n").filter((line) => line.includes(`"jobId":"${jobId}"`) && line.includes('"msg":"subtask canceled"')).length;
const runningSubtasks = (logs: string, jobId: string) => logs.split("\n").filter((line) => line.includes(`"jobId":"${jobId}"`) && line.includes('"msg":"subtask running"')).length;

describe("a job canceled while a new leading job manager takes it over", () => {
  let server: NatsServerHandle;
  const jobManagers: WeirProcess[] = [];
  let worker: WeirProcess;
  const dir = mkdtempSync(join(tmpdir(), "weir-cancel-takeover-"));

  beforeAll(async () => {
    server = await startNatsServer();
    jobManagers.push(await startJobManagerProcess(server.url, ["--ha"]));
    await until("the first job manager leading", () => leads(jobManagers[0]), 60_000);
    jobManagers.push(await startJobManagerProcess(server.url, ["--ha"]));
    worker = await startWorkerProcess(server.url, 2, "ct-worker");
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...jobManagers, worker].filter((p) => p !== undefined).map((p) => p.stop("SIGKILL")));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("ends canceled only after the old execution's subtasks were told to stop and ended", async () => {
    const submitted = await runWeir(["run", JOB, "--nats", server.url, "--detached", "--", "--checkpoints", join(dir, "checkpoints")]);
    expect(submitted.code).toBe(0);
    const jobId = submitted.stdout.trim();
    await until("the job running on the worker", () => runsSubtasksOf(worker.logs(), jobId, 0), 60_000);

    await jobManagers[0].stop("SIGKILL");
    // The cancel comes at once (as `weir cancel` sends it), while the new leader listens for the old subtasks.
    const nc = await connect({ servers: server.url });
    try {
      await until("the standby taking the job over", () => jobManagers[1].logs().includes('"msg":"taking the job over"'), 60_000);
      const reply = decode(await nc.request(subjects.cancelJob(jobId), encode({ type: "cancel-job", jobId }), { timeout: 10_000 }).then((m) => m.data), ["cancel-job-reply"]);
      expect(reply.ok).toBe(true);
    } finally {
      await nc.close();
    }

    await until("the job canceled", () => jobManagers[1].logs().split("\n").some((line) => line.includes(jobId) && line.includes('"msg":"job canceled"')), 60_000);
    // Every subtask the old execution ran was canceled on the worker, and nothing was deployed again.
    expect(runningSubtasks(worker.logs(), jobId)).toBeGreaterThan(0);
    expect(canceledSubtasks(worker.logs(), jobId)).toBe(runningSubtasks(worker.logs(), jobId));
    expect(runsSubtasksOf(worker.logs(), jobId, 1)).toBe(false);
  }, 120_000);
});
