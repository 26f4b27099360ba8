// The _latest marker rules, as decisions over what a scan of checkpoint folders found: pure, no I/O.

import { describe, expect, it } from "vitest";
import { checkCommit, decideLatest, encodeLatestMarker, readLatestMarker, type ScannedCheckpoint } from "../../src/checkpoint/latest-marker.ts";
import { metadataFor } from "./storage-contract.ts";

const ok = (checkpointId: number, epoch = 1, jobId = "job"): ScannedCheckpoint => ({ checkpointId, outcome: { kind: "ok", metadata: metadataFor(jobId, checkpointId, [], epoch) } });
const missing = (checkpointId: number): ScannedCheckpoint => ({ checkpointId, outcome: { kind: "missing" } });

describe("deciding the latest checkpoint", () => {
  it("restores the newest readable checkpoint at or above the marker, skipping ones still being written", () => {
    expect(decideLatest("job", { checkpointId: 4, epoch: 1 }, [missing(5), ok(4)])).toMatchObject({ kind: "restore", metadata: { checkpointId: 4 } });
    expect(decideLatest("job", { checkpointId: 4, epoch: 1 }, [ok(5)])).toMatchObject({ kind: "restore", metadata: { checkpointId: 5 } });
    expect(decideLatest("job", undefined, [missing(2), ok(1)])).toMatchObject({ kind: "restore", metadata: { checkpointId: 1 } });
    expect(decideLatest("job", undefined, [missing(1)])).toEqual({ kind: "none" });
  });

  it("calls anything below the marker, or of an older epoch, a regression", () => {
    expect(decideLatest("job", { checkpointId: 5, epoch: 1 }, [missing(5), ok(4)]).kind).toBe("regression");
    expect(decideLatest("job", { checkpointId: 5, epoch: 1 }, []).kind).toBe("regression");
    expect(decideLatest("job", { checkpointId: 5, epoch: 3 }, [ok(5, 2)]).kind).toBe("regression");
  });

  it("skips metadata that names another checkpoint than its folder", () => {
    const misplaced: ScannedCheckpoint = { checkpointId: 6, outcome: ok(2).outcome };
    const decision = decideLatest("job", { checkpointId: 6, epoch: 1 }, [misplaced, ok(5)]);
    expect(decision.kind === "regression" && decision.message).toMatch(/chk-6: _metadata names checkpoint 2 of job job, not 6 of job/);
  });

  it("stops at metadata of an unknown format instead of restoring something older", () => {
    expect(decideLatest("job", undefined, [{ checkpointId: 3, outcome: { kind: "wrong-format", format: 2 } }, ok(2)])).toEqual({ kind: "unsupported-format", checkpointId: 3, format: 2 });
  });
});

describe("fencing a commit", () => {
  it("allows growing ids from the same or a newer epoch and refuses the rest", () => {
    const marker = { checkpointId: 7, epoch: 3 };
    expect(checkCommit("job", undefined, metadataFor("job", 1, [], 1))).toEqual({ kind: "allowed" });
    expect(checkCommit("job", marker, metadataFor("job", 8, [], 3))).toEqual({ kind: "allowed" });
    expect(checkCommit("job", marker, metadataFor("job", 8, [], 4))).toEqual({ kind: "allowed" });
    expect(checkCommit("job", marker, metadataFor("job", 8, [], 2)).kind).toBe("refused");
    expect(checkCommit("job", marker, metadataFor("job", 7, [], 3)).kind).toBe("refused");
  });
});

describe("the _latest marker", () => {
  it("round-trips as a line of JSON and reports anything else as corrupt", () => {
    expect(readLatestMarker(encodeLatestMarker({ checkpointId: 12, epoch: 2 }))).toEqual({ kind: "ok", marker: { checkpointId: 12, epoch: 2 } });
    expect(readLatestMarker(new TextEncoder().encode('{"checkpointId":"12"}')).kind).toBe("corrupt");
    expect(readLatestMarker(new Uint8Array([0xff, 0xfe])).kind).toBe("corrupt");
  });
});
