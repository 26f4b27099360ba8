// Every subject is built in one module, and an id can never change a subject's meaning: ids with
// dots, wildcards or spaces are refused.

import { describe, expect, it } from "vitest";
import { subjectMatches } from "../../src/bus/bus.ts";
import { isSubjectToken, subjects } from "../../src/bus/subjects.ts";

describe("subjects", () => {
  it("builds the data and credit subjects of one channel from its parts", () => {
    expect(subjects.frames("job-1", 2, "e0", 3, 1)).toBe("weir.data.job-1.2.e0.3.1");
    expect(subjects.credits("job-1", 2, "e0", 1, 3)).toBe("weir.credit.job-1.2.e0.1.3");
  });

  it("makes the consumer's frame pattern match exactly the frames sent to that consumer", () => {
    const into = subjects.framesInto("job-1", 0, "e0", 3);
    expect(subjectMatches(into, subjects.frames("job-1", 0, "e0", 3, 0))).toBe(true);
    expect(subjectMatches(into, subjects.frames("job-1", 0, "e0", 3, 7))).toBe(true);
    expect(subjectMatches(into, subjects.frames("job-1", 0, "e0", 4, 0))).toBe(false);
    expect(subjectMatches(into, subjects.frames("job-1", 1, "e0", 3, 0))).toBe(false);
    expect(subjectMatches(into, subjects.frames("job-1", 0, "e1", 3, 0))).toBe(false);
  });

  it("makes the producer's credit pattern match exactly the credits sent to that producer", () => {
    const into = subjects.creditsInto("job-1", 0, "e0", 1);
    expect(subjectMatches(into, subjects.credits("job-1", 0, "e0", 1, 5))).toBe(true);
    expect(subjectMatches(into, subjects.credits("job-1", 0, "e0", 2, 5))).toBe(false);
  });

  it("lets the trace tap see every subject weir builds", () => {
    const all = [
      subjects.submitJob(),
      subjects.registerWorker(),
      subjects.heartbeat(),
      subjects.requestSlots(),
      subjects.releaseSlots(),
      subjects.workerLost(),
      subjects.workerControl("w-1"),
      subjects.jobStatus("j"),
      subjects.cancelJob("j"),
      subjects.taskState("j"),
      subjects.collect("j"),
      subjects.frames("j", 0, "e0", 0, 0),
      subjects.credits("j", 0, "e0", 0, 0),
    ];
    for (const subject of all) expect(subjectMatches(subjects.everything(), subject)).toBe(true);
    expect(new Set(all).size).toBe(all.length);
  });

  it.each(["a.b", "*", ">", "job*", "a b", "", "tab\there", "ü", "x/y"])("refuses the id %j in every subject that takes one", (bad) => {
    expect(() => subjects.jobStatus(bad)).toThrow(`job id ${JSON.stringify(bad)} cannot be used in a subject: use letters, digits, '-' and '_'`);
    expect(() => subjects.workerControl(bad)).toThrow(/^worker id /);
    expect(() => subjects.cancelJob(bad)).toThrow();
    expect(() => subjects.taskState(bad)).toThrow();
    expect(() => subjects.collect(bad)).toThrow();
    expect(() => subjects.frames(bad, 0, "e0", 0, 0)).toThrow();
    expect(() => subjects.frames("j", 0, bad, 0, 0)).toThrow(/^edge id /);
    expect(() => subjects.credits("j", 0, bad, 0, 0)).toThrow();
    expect(() => subjects.framesInto(bad, 0, "e0", 0)).toThrow();
    expect(() => subjects.creditsInto("j", 0, bad, 0)).toThrow();
    expect(isSubjectToken(bad)).toBe(false);
  });

  it.each(["job-1", "JOB_2", "0", "a-b_c-9"])("accepts the id %j", (good) => {
    expect(isSubjectToken(good)).toBe(true);
    expect(subjects.jobStatus(good)).toBe(`weir.job.${good}.status`);
  });
});
