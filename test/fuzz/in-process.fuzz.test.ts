// Fuzz targets 2 and 3, short: the real actors on the embedded cluster's bus while a checkpointed
// keyed job runs. Fuzzed messages on every subject the actors serve, then on the job's frame and
// credit channels only: every actor rejects and counts them, no handler throws, nothing crashes,
// and every job's sums are exact.

import { describe, expect, it } from "vitest";
import { fuzzInProcess } from "./in-process-target.ts";
import { EVERY_SUBJECT_KIND } from "./subject-endpoints.ts";

describe("the actors under fuzzed messages, in process", () => {
  it("every actor's inbox rejects them while a job runs with exact output (fixed seed, 1,500 messages)", async () => {
    const report = await fuzzInProcess({ mode: "actors", seed: 20_261_202, messages: 1500, recordsPerJob: 1500 });
    expect(report.firstErrors).toEqual([]);
    expect(report.crashes).toBe(0);
    expect(report.handlerExceptions).toBe(0);
    expect(report.outputExact).toBe(true);
    expect(report.messages).toBe(1500);
    expect(report.subjectKinds).toEqual(EVERY_SUBJECT_KIND);
    expect(report.endpointsRejecting).toEqual(["checkpoint-coordinator", "dispatcher", "job-client", "job-master", "resource-manager", "subtask", "worker"]);
  });

  it("a subtask's input channels reject malformed frames and credits, and the job's output stays exact (fixed seed, 1,500 messages)", async () => {
    const report = await fuzzInProcess({ mode: "data-plane", seed: 20_261_203, messages: 1500, recordsPerJob: 1500 });
    expect(report.firstErrors).toEqual([]);
    expect(report.crashes).toBe(0);
    expect(report.handlerExceptions).toBe(0);
    expect(report.outputExact).toBe(true);
    expect(report.messages).toBe(1500);
    expect(report.subjectKinds).toEqual(["credit", "data"]);
    expect(report.endpointsRejecting).toEqual(["subtask"]);
  });
});
