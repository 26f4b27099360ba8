// `weir run --trace` records the whole embedded run to a file that the replay harness can use.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createActor } from "xstate";
import { jobMasterMachine } from "../../src/actors/job-master.ts";
import { decode } from "../../src/messages/codec.ts";
import type { SubmitJob } from "../../src/messages/schema.ts";
import { MetricRegistry, readTrace, replayActor, runWeir, silentLogger } from "../../src/testing/index.ts";

describe("weir run --trace", () => {
  it("writes every actor's messages to a file, and the job master replays from it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weir-trace-"));
    writeFileSync(join(dir, "in.txt"), "a b c\nb c\nc\n");
    const traceFile = join(dir, "trace.ndjson");
    const result = await runWeir(["run", "examples/word-count.ts", "--trace", traceFile, "--", "--input", join(dir, "in.txt"), "--output", join(dir, "out.ndjson")]);
    expect(result.code).toBe(0);

    const trace = readTrace(traceFile);
    const actors = new Set(trace.map((e) => e.actor.split("/")[0]));
    expect([...actors].sort()).toEqual(["client", "dispatcher", "job-master", "resource-manager", "subtask", "worker"]);
    expect(trace.some((e) => e.subject.startsWith("weir.data.") && e.kind === "publish")).toBe(true);

    const submitEntry = trace.find((e) => e.subject === "weir.dispatcher.submit" && e.kind === "publish")!;
    const submission = decode(submitEntry.data, ["submit-job"]);
    if (!submission.ok) throw new Error(submission.detail);
    const report = await replayActor({
      trace,
      actor: `job-master/${submission.message.jobId}`,
      ignoreFields: ["timestamp"],
      start: ({ bus, clock }) => {
        const actor = createActor(jobMasterMachine, {
          input: { deps: { bus, clock, log: silentLogger(), metrics: new MetricRegistry() }, submission: submission.message as SubmitJob },
          clock,
        }).start();
        return () => actor.stop();
      },
    });
    expect(report.expectedOutbound).toBeGreaterThan(5);
    expect(report.mismatches).toEqual([]);
  });
});
