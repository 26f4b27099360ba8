// `weir trace show` and `weir trace replay` on a trace recorded by a real `weir run --trace`.

import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decode, encode, readTrace, runWeir, type SubmitJob, type TraceEntry } from "../../src/testing/index.ts";
import { PROTOCOL_VERSION } from "../../src/messages/schema.ts";
import { formatMessage, formatTraceLine, parseTraceLine } from "../../src/cli/trace-format.ts";

const TIME = String.raw`\+ *\d+ms`;

describe("weir trace show and replay", () => {
  let dir: string;
  let traceFile: string;
  let trace: TraceEntry[];
  let submission: SubmitJob;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "weir-trace-cli-"));
    writeFileSync(join(dir, "in.txt"), "a b c\nb c\nc\n");
    traceFile = join(dir, "trace.ndjson");
    const run = await runWeir(["run", "examples/word-count.ts", "--trace", traceFile, "--", "--input", join(dir, "in.txt"), "--output", join(dir, "out.ndjson")]);
    expect(run.code).toBe(0);
    trace = readTrace(traceFile);
    const outcome = decode(trace.find((e) => e.subject === "weir.dispatcher.submit" && e.kind === "publish")!.data, ["submit-job"]);
    if (!outcome.ok) throw new Error(outcome.detail);
    submission = outcome.message;
  }, 60_000);

  it("shows the task states the job master received: one per subtask and state", async () => {
    const subtasks = submission.jobGraph.vertices.reduce((n, v) => n + v.parallelism, 0);
    const shown = await runWeir(["trace", "show", traceFile, "--actor", "job-master", "--type", "task-state"]);
    expect(shown.code).toBe(0);
    const lines = shown.stdout.trimEnd().split("\n");
    expect(subtasks).toBe(6);
    expect(lines).toHaveLength(subtasks * 4);
    const pattern = new RegExp(String.raw`^${TIME} job-master/${submission.jobId} deliver weir\.job\.${submission.jobId}\.tasks task-state task=v\d\[\d\]#0 workerId=embedded-worker state=(deploying|initializing|running|finished)$`);
    for (const line of lines) expect(line).toMatch(pattern);
    expect(lines.filter((l) => l.endsWith("state=finished"))).toHaveLength(subtasks);
  }, 30_000);

  it("filters by subject pattern, job and several types, and shows the submission compactly", async () => {
    const shown = await runWeir(["trace", "show", traceFile, "--subject", "weir.dispatcher.*", "--job", submission.jobId, "--type", "submit-job,submit-job-reply"]);
    expect(shown.code).toBe(0);
    const id = submission.jobId;
    const lines = shown.stdout.trimEnd().split("\n").map((l) => l.replace(/^\+ *\d+ms /, ""));
    expect(lines).toEqual([
      `client publish weir.dispatcher.submit submit-job jobId=${id} artifact={"kind":"in-process","key":"${id}"} jobGraph=<word-count: 4 vertices, 3 edges>`,
      `dispatcher deliver weir.dispatcher.submit submit-job jobId=${id} artifact={"kind":"in-process","key":"${id}"} jobGraph=<word-count: 4 vertices, 3 edges>`,
      // The dispatcher's own reply goes to the client's inbox, which the pattern does not match.
      `client reply weir.dispatcher.submit submit-job-reply jobId=${id} accepted=true`,
    ]);
    const none = await runWeir(["trace", "show", traceFile, "--job", "no-such-job"]);
    expect(none).toEqual({ code: 0, stdout: "", stderr: "" });
  }, 30_000);

  it("--json prints one parseable object per entry, with the message in full", async () => {
    const shown = await runWeir(["trace", "show", traceFile, "--json"]);
    expect(shown.code).toBe(0);
    const objects = shown.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { line: number; kind: string; type: string; message: { type: string } });
    expect(objects).toHaveLength(trace.length);
    expect(objects.map((o) => o.line)).toEqual(trace.map((_, i) => i + 1));
    for (const o of objects) expect(o.message.type).toBe(o.type);
    expect(objects.filter((o) => o.type === "frame" && o.kind === "publish").length).toBe(trace.filter((e) => e.kind === "publish" && e.subject.startsWith("weir.data.")).length);
  }, 30_000);

  it("shows a broken line and an undecodable payload as such, and a missing file is an error", async () => {
    const broken = join(dir, "broken.ndjson");
    writeFileSync(broken, `${readFileSync(traceFile, "utf8").split("\n").slice(0, 2).join("\n")}\n`);
    appendFileSync(broken, "not json\n");
    appendFileSync(broken, `${JSON.stringify({ t: trace[1].t, kind: "deliver", actor: "x", subject: "weir.x", data: Buffer.from([0x93, 1, 2, 3]).toString("base64") })}\n`);
    appendFileSync(broken, `${JSON.stringify({ t: 1, kind: "deliver" })}\n`);
    const shown = await runWeir(["trace", "show", broken]);
    expect(shown.code).toBe(0);
    const lines = shown.stdout.trimEnd().split("\n");
    expect(lines.slice(2).map((l) => l.replace(/^\+ *\d+ms /, ""))).toEqual([
      "line 3: not JSON",
      "x deliver weir.x <undecodable (malformed): not a message object, 4 bytes>",
      "line 5: not a trace entry (actor, subject, data missing or of the wrong type)",
    ]);
    const missing = await runWeir(["trace", "show", join(dir, "absent.ndjson")]);
    expect(missing).toEqual({ code: 1, stdout: "", stderr: `weir: trace file ${join(dir, "absent.ndjson")} not found\n` });
  }, 30_000);

  it("replays the job master from the trace: identical", async () => {
    const actor = `job-master/${submission.jobId}`;
    const inbound = trace.filter((e) => e.actor === actor && e.kind !== "publish").length;
    const replayed = await runWeir(["trace", "replay", traceFile, "--actor", actor]);
    expect(replayed).toEqual({ code: 0, stdout: `replayed ${inbound} messages of ${actor}: identical\n`, stderr: "" });
  }, 30_000);

  it("a trace with one reply altered (other slots granted) gives the first mismatch and exit 1", async () => {
    const actor = `job-master/${submission.jobId}`;
    const doctored = join(dir, "doctored.ndjson");
    const lines = readFileSync(traceFile, "utf8").trimEnd().split("\n").map((line) => {
      const raw = JSON.parse(line) as { kind: string; actor: string; subject: string; data: string };
      if (raw.kind !== "reply" || raw.actor !== actor || raw.subject !== "weir.rm.slots.request") return line;
      const m = decode(Buffer.from(raw.data, "base64"), ["slots-reply"]);
      if (!m.ok) throw new Error(m.detail);
      const slots = m.message.slots.map((s) => ({ ...s, slotIndex: 1 - s.slotIndex }));
      return JSON.stringify({ ...raw, data: Buffer.from(encode({ ...m.message, slots })).toString("base64") });
    });
    writeFileSync(doctored, `${lines.join("\n")}\n`);
    const replayed = await runWeir(["trace", "replay", doctored, "--actor", actor]);
    expect(replayed.code).toBe(1);
    const out = replayed.stdout.split("\n");
    expect(out[0]).toMatch(new RegExp(String.raw`^replay of ${actor} differs after \d+ messages: \d+ mismatch\(es\); the first, message 1 on ${actor} weir\.worker\.embedded-worker\.control:$`));
    expect(out[1]).toBe(`  expected: deploy-task task=v1[0]#0 slotIndex=0 artifact={"kind":"in-process","key":"${submission.jobId}"} jobGraph=<word-count: 4 vertices, 3 edges>`);
    expect(out[2]).toBe(`  actual:   deploy-task task=v1[0]#0 slotIndex=1 artifact={"kind":"in-process","key":"${submission.jobId}"} jobGraph=<word-count: 4 vertices, 3 edges>`);
  }, 30_000);

  it("says why a worker cannot be replayed from the command line", async () => {
    const replayed = await runWeir(["trace", "replay", traceFile, "--actor", "worker/embedded-worker"]);
    expect(replayed.code).toBe(1);
    expect(replayed.stderr).toBe(
      "weir: cannot replay worker/embedded-worker: worker/embedded-worker runs the job's own code, which a trace does not hold; replay it in a test with replayActor and createJobLoader (see docs/testing.md). From the command line: job-master/<jobId>, dispatcher and resource-manager\n",
    );
  }, 30_000);
});

describe("trace lines for people", () => {
  it("summarizes a frame by sequence, producer and elements", () => {
    const frame = { type: "frame" as const, v: PROTOCOL_VERSION, seq: 3, producer: 1, token: "t", elements: [{ kind: "records" as const, records: [1, 2, 3] }, { kind: "watermark" as const, timestamp: 5 }, { kind: "end-of-partition" as const }] };
    expect(formatMessage(frame)).toBe("frame seq=3 producer=1 [records:3, watermark:5, end-of-partition]");
  });

  it("prints ISO times and cuts long fields", () => {
    const data = encode({ type: "job-status", jobId: "j1", status: "failed", error: "x".repeat(100), timestamp: 0 });
    const line = parseTraceLine(JSON.stringify({ t: 0, kind: "publish", actor: "job-master/j1", subject: "weir.job.j1.status", data: Buffer.from(data).toString("base64") }), 1);
    expect(formatTraceLine(line, 0, "iso")).toBe(`1970-01-01T00:00:00.000Z job-master/j1 publish weir.job.j1.status job-status jobId=j1 status=failed error=${"x".repeat(59)}… timestamp=0`);
  });
});
