// The leading job manager cut off by a network partition, not killed. Two `weir jobmanager --ha`
// processes: the first runs in its own network namespace, joined to the host (nats-server, the
// standby, two workers and `weir run`) by a veth pair, and leads. While a checkpointed keyed count
// runs, its link is cut for longer than the lease: the cut-off leader's lease runs out by its own
// clock and it steps down; the standby takes the lease with a higher epoch and takes the job over
// from its latest checkpoint. When the link heals, the old leader stays a standby, whatever it had
// queued for the bus reaches the workers with its old epoch and is refused, and every running
// count reaches the client exactly once (lost = 0, duplicated = 0, against the input). Needs root.

import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { CHECKPOINTED_COUNTS, type KeyCount } from "../fixtures/jobs/checkpointed-keyed-counts.ts";
import { createNetworkNamespace, type NetworkNamespace } from "../fixtures/network-namespace.ts";
import { range, tally, totalsPerKey } from "../fixtures/running-counts.ts";
import { hasCompletedCheckpoint, runsSubtasksOf, startRun, until } from "../fixtures/weir-run.ts";

const JOB = "test/fixtures/jobs/checkpointed-keyed-counts.ts";
const { keys: KEYS } = CHECKPOINTED_COUNTS;
const EVENTS = 9_000;

/** The epochs a job manager's log says it led with, in order. */
const epochsLed = (logs: string) => [...logs.matchAll(/"msg":"leading \(epoch (\d+)\)/g)].map((m) => Number(m[1]));
const steppedDown = (logs: string) => /"msg":"stepped down/.test(logs);

describe("the leading job manager cut off from NATS by a network partition", () => {
  let server: NatsServerHandle;
  let namespace: NetworkNamespace;
  let cutOff: { child: ChildProcess; logs: () => string };
  let standby: WeirProcess;
  const workers: WeirProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "weir-jm-partition-"));

  beforeAll(async () => {
    server = await startNatsServer({ host: "0.0.0.0" });
    namespace = createNetworkNamespace(1 + Math.floor(Math.random() * 254));
    // The cut-off one starts first and alone, so it leads.
    cutOff = await startJobManagerInNamespace(namespace, `nats://${namespace.hostIp}:${server.port}`);
    await until("the job manager in the namespace leading", () => epochsLed(cutOff.logs()).length > 0, 60_000);
    standby = await startJobManagerProcess(server.url, ["--ha", "--heartbeat-timeout", "3000"]);
    for (const id of ["jmp-a", "jmp-b"]) workers.push(await startWorkerProcess(server.url, 2, id));
  }, 120_000);

  afterAll(async () => {
    cutOff?.child.kill("SIGKILL");
    await Promise.all([standby, ...workers].filter((p) => p !== undefined).map((p) => p.stop("SIGKILL")));
    await server?.stop();
    namespace?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it("steps down by its own clock; the standby takes the job over, the healed one stays a standby, and the counts are exactly-once", async () => {
    const checkpoints = join(dir, "checkpoints");
    const results = join(dir, "results.json");
    const run = startRun([JOB, "--nats", server.url, "--", "--checkpoints", checkpoints, "--results", results, "--events", String(EVENTS), "--rate", "600", "--restart-attempts", "10"]);
    const jobId = await run.jobId;
    await until("a completed checkpoint with the job running", () => hasCompletedCheckpoint(checkpoints, jobId) && workers.some((w) => runsSubtasksOf(w.logs(), jobId, 0)), 60_000);
    const [oldEpoch] = epochsLed(cutOff.logs());

    namespace.cut();
    await until("the standby leading", () => epochsLed(standby.logs()).length > 0, 60_000);
    await until("the cut-off leader stepping down", () => steppedDown(cutOff.logs()), 60_000);
    await until("the job taken over", () => workers.some((w) => runsSubtasksOf(w.logs(), jobId, 1)), 60_000);
    namespace.heal();

    expect(await run.exit).toBe(0);
    const [newEpoch] = epochsLed(standby.logs());
    expect(newEpoch).toBeGreaterThan(oldEpoch);
    expect(run.stderr()).toMatch(new RegExp(`job ${jobId} restarting: taken over by a new leading job manager \\(leader epoch ${newEpoch}\\)`));
    expect(run.stderr()).toMatch(new RegExp(`job ${jobId} finished in \\d+ ms\\n$`));
    // Healed, it led only once: the standby's lease held.
    expect(epochsLed(cutOff.logs())).toEqual([oldEpoch]);

    const collected = JSON.parse(readFileSync(results, "utf8")) as KeyCount[];
    expect(tally(collected, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
    expect(collected).toHaveLength(EVENTS);
  });
});

async function startJobManagerInNamespace(namespace: NetworkNamespace, natsUrl: string): Promise<{ child: ChildProcess; logs: () => string }> {
  const child = namespace.spawn(process.execPath, [resolve("bin/weir.mjs"), "jobmanager", "--nats", natsUrl, "--ha", "--heartbeat-timeout", "3000", "--rest-port", "0"]);
  let logs = "";
  child.stderr!.on("data", (chunk: Buffer) => (logs += chunk.toString()));
  child.stdout!.on("data", (chunk: Buffer) => (logs += chunk.toString()));
  await until("the job manager in the namespace ready", () => logs.includes("job manager ready"), 60_000);
  return { child, logs: () => logs };
}
