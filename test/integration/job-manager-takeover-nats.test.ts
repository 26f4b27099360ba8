// Several job managers on a real nats-server: two `weir jobmanager --ha` processes and two workers.
// One leads by its lease; a checkpointed keyed count (checkpoints in a shared directory, results
// through the transactional collect sink of `weir run`) runs, fails once and restarts; the leader
// is killed with SIGKILL mid-job. The standby takes the lease, cancels the old execution's
// subtasks, deploys again from the latest checkpoint, and the job finishes: `weir run` reports the
// takeover and its final status, `weir info` on the new leader keeps the job's start, its restart
// and its exception, and every running count arrives exactly once (lost = 0, duplicated = 0)
// against an expectation computed from the input alone.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { CHECKPOINTED_COUNTS, type KeyCount } from "../fixtures/jobs/checkpointed-keyed-counts.ts";
import type { JobDetails } from "../../src/observability/views.ts";
import { range, tally, totalsPerKey } from "../fixtures/running-counts.ts";
import { waitFor } from "../fixtures/wait-for.ts";
import { hasCompletedCheckpoint, runsSubtasksOf } from "../fixtures/weir-run.ts";

const JOB = "test/fixtures/jobs/checkpointed-keyed-counts.ts";
const { keys: KEYS, events: EVENTS } = CHECKPOINTED_COUNTS;

/** The job as `weir info --json` shows it, once `ready` holds. */
const info = (url: string, jobId: string, what: string, ready: (job: JobDetails) => boolean) =>
  waitFor(async () => {
    const { code, stdout } = await runWeir(["info", jobId, "--json", "--nats", url]);
    const job = code === 0 ? (JSON.parse(stdout) as JobDetails) : undefined;
    return job && ready(job) ? job : undefined;
  }, `weir info to show the job ${what}`, 30_000);

const leads = (jobManager: WeirProcess) => /"msg":"leading \(epoch (\d+)\)/.exec(jobManager.logs())?.[1];

describe("a leading job manager killed while a checkpointed job runs, with a standby", () => {
  let server: NatsServerHandle;
  const jobManagers: WeirProcess[] = [];
  const workers: WeirProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "weir-takeover-"));
  const checkpoints = join(dir, "checkpoints");
  const results = join(dir, "results.json");
  const marker = join(dir, "failed-once");

  beforeAll(async () => {
    server = await startNatsServer();
    for (let i = 0; i < 2; i++) jobManagers.push(await startJobManagerProcess(server.url, ["--ha", "--heartbeat-timeout", "3000"]));
    for (const id of ["ha-a", "ha-b"]) workers.push(await startWorkerProcess(server.url, 2, id));
    await waitFor(() => (jobManagers.some((jm) => leads(jm) !== undefined) ? true : undefined), "a job manager to lead");
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...jobManagers, ...workers].map((p) => p.stop("SIGKILL")));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the standby takes the job over from its latest checkpoint; weir run reports it, and the counts are exactly-once", async () => {
    expect(jobManagers.filter((jm) => leads(jm) !== undefined)).toHaveLength(1);
    const leader = jobManagers.find((jm) => leads(jm) !== undefined)!;
    const standby = jobManagers.find((jm) => jm !== leader)!;
    const oldEpoch = Number(leads(leader));

    const runStarted = Date.now();
    const child = spawn(process.execPath, ["bin/weir.mjs", "run", JOB, "--nats", server.url, "--progress-interval", "0", "--", "--checkpoints", checkpoints, "--results", results, "--rate", "500", "--fail-marker", marker], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      const jobId = await waitFor(() => /job ([0-9a-f]+) submitted/.exec(stderr)?.[1], "the job to be submitted");
      // It failed once and runs again: its restart and exception are on record before the leader dies.
      const before = await info(server.url, jobId, "running again after its failure", (job) => job.restarts === 1 && job.status === "running");
      expect(before.exceptions.map((e) => e.message)).toEqual([expect.stringContaining("injected failure after two checkpoints")]);
      await waitFor(() => (hasCompletedCheckpoint(checkpoints, jobId) && workers.some((w) => runsSubtasksOf(w.logs(), jobId, 1)) ? true : undefined), "a completed checkpoint");
      // While it leads, the job is on record for a successor.
      const nc = await connect({ servers: server.url });
      try {
        const records = await new Kvm(nc).open("weir-jobs");
        expect((await records.get(jobId))?.operation).toBe("PUT");
        const killedAt = Date.now();
        await leader.stop("SIGKILL");

        expect(await exit).toBe(0);
        const newEpoch = Number(await waitFor(() => leads(standby), "the standby to lead"));
        expect(newEpoch).toBeGreaterThan(oldEpoch);
        expect(stderr).toMatch(new RegExp(`job ${jobId} restarting: taken over by a new leading job manager \\(leader epoch ${newEpoch}\\); restoring checkpoint \\d+\\n`));
        expect(stderr).toMatch(new RegExp(`job ${jobId} finished in \\d+ ms\\n$`));
        // The old execution's subtasks were told to stop, and a later attempt ran the job to its end.
        expect(workers.some((w) => w.logs().includes(`"jobId":"${jobId}"`) && /"attempt":1,[^\n]*"msg":"subtask canceled"/.test(w.logs()))).toBe(true);
        expect(workers.some((w) => runsSubtasksOf(w.logs(), jobId, 2))).toBe(true);
        expect(standby.logs()).toContain(`"msg":"taking the job over"`);
        // The new leader shows the job's life as the old one did: the same start, the restart and
        // the exception, and the takeover as one more restart.
        const after = await info(server.url, jobId, "finished", (job) => job.status === "finished");
        expect(after.startTime).toBeGreaterThanOrEqual(runStarted);
        expect(after.startTime).toBeLessThan(killedAt);
        expect(after.restarts).toBe(2);
        const failures = (job: JobDetails) => job.exceptions.map(({ message, task, workerId }) => ({ message, task, workerId }));
        expect(failures(after)).toEqual(failures(before));

        const collected = JSON.parse(readFileSync(results, "utf8")) as KeyCount[];
        expect(tally(collected, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
        expect(collected).toHaveLength(EVENTS);
        // The job ended: its record is gone (after a moment: the job master deletes it as the job ends).
        await waitFor(async () => ((await records.get(jobId))?.operation !== "PUT" ? true : undefined), "the job's record to be deleted", 10_000);
      } finally {
        await nc.close();
      }
    } finally {
      child.kill("SIGKILL");
    }
  }, 120_000);
});
