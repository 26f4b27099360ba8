// The split protocol in a recorded trace: a bounded file source at parallelism 2 on the embedded
// cluster, its bus wrapped by the trace recorder. The enumerator is an actor of its own in the
// trace; every split message is there, decoded, in protocol order: each reader registers, asks,
// gets one file per request and, once the files are out, no more splits. Split messages from a
// stranger (without the attempt's channel token) are rejected on both sides, and counted.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { StreamExecutionEnvironment } from "../../src/cluster/environment.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import { MiniCluster } from "../../src/cluster/mini-cluster.ts";
import { fileSource } from "../../src/index.ts";
import { decode, encode } from "../../src/messages/codec.ts";
import { subjects } from "../../src/bus/subjects.ts";
import { waitFor } from "../fixtures/wait-for.ts";
import { systemClock, TraceRecorder } from "../../src/testing/index.ts";

const dir = mkdtempSync(join(tmpdir(), "weir-split-trace-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the split protocol in a recorded trace", () => {
  it("records the enumerator's and the readers' split messages, with the enumerator as an actor of its own", async () => {
    for (const name of ["a", "b", "c"]) writeFileSync(join(dir, `${name}.txt`), `${name}1\n${name}2\n`);
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = env.fromSource(fileSource<string>({ path: dir, format: "text" }), "Lines").collect();
    const recorder = new TraceRecorder(systemClock);
    const cluster = new MiniCluster({ slots: 2, wrapBus: (bus, actor) => recorder.wrap(bus, actor) });
    const jobId = "split-trace";
    try {
      const jobGraph = buildJobGraph(env.graph, env.jobConfig("split-trace"));
      await cluster.execute({ jobGraph, streamGraph: env.graph, collectors: new Map([[String(jobGraph.vertices.at(-1)!.nodes.at(-1)), out as never]]) }, jobId);
    } finally {
      await cluster.close();
    }
    expect([...out.values].sort()).toEqual(["a1", "a2", "b1", "b2", "c1", "c2"]);

    const types = ["reader-registration", "split-request", "split-assignment", "no-more-splits"] as const;
    const published = recorder.entries
      .filter((e) => e.kind === "publish" && e.subject.includes(".splits."))
      .map((e) => {
        const outcome = decode(e.data, types);
        if (!outcome.ok) throw new Error(`undecodable split message on ${e.subject}: ${outcome.detail}`);
        const m = outcome.message;
        const what = m.type === "split-assignment" ? `${m.type} ${(m.splits as { path: string }[]).map((s) => s.path.slice(dir.length + 1)).join(",")}` : m.type;
        return { actor: e.actor, reader: m.task.subtaskIndex, what };
      });
    const enumerator = `split-enumerator/${jobId}/v1`;
    // From the readers, to the enumerator: a registration, then a request per file read and one more.
    for (const reader of [0, 1]) {
      const sent = published.filter((p) => p.actor !== enumerator && p.reader === reader).map((p) => p.what);
      expect(sent[0]).toBe("reader-registration");
      expect(sent.slice(1).every((w) => w === "split-request")).toBe(true);
    }
    // From the enumerator: each file once, in order, then no more splits to each reader.
    const fromEnumerator = published.filter((p) => p.actor === enumerator);
    expect(fromEnumerator.filter((p) => p.what.startsWith("split-assignment")).map((p) => p.what)).toEqual(["split-assignment a.txt", "split-assignment b.txt", "split-assignment c.txt"]);
    expect(fromEnumerator.filter((p) => p.what === "no-more-splits").map((p) => p.reader).sort()).toEqual([0, 1]);
    expect(published.filter((p) => p.actor !== enumerator && p.what === "split-request")).toHaveLength(5);
  });
});

describe("split messages from strangers", () => {
  it("are rejected by the enumerator and by the readers, counted, and the output stays exact", async () => {
    const watched = mkdtempSync(join(tmpdir(), "weir-split-forged-"));
    try {
      writeFileSync(join(watched, "a.txt"), "a1\na2\n");
      const env = new StreamExecutionEnvironment({ parallelism: 2 });
      const out = env.fromSource(fileSource<string>({ path: watched, format: "text", watch: true, pollIntervalMs: 20 }), "Lines").collect();
      const cluster = new MiniCluster({ slots: 2 });
      const jobId = "split-forged";
      try {
        const jobGraph = buildJobGraph(env.graph, env.jobConfig("split-forged"));
        const client = await cluster.submit({ jobGraph, streamGraph: env.graph, collectors: new Map([[String(jobGraph.vertices.at(-1)!.nodes.at(-1)), out as never]]) }, jobId);
        await waitFor(() => (out.values.length === 2 ? true : undefined), "the first file's lines");
        const task = (subtaskIndex: number) => ({ jobId, vertexId: "v1", subtaskIndex, attempt: 0 });
        const stranger = "0123456789abcdef0123456789abcdef";
        // A stranger asks for splits in a reader's name, and hands a reader a file of its choosing.
        cluster.bus.publish(subjects.splitRequests(jobId, "v1"), encode({ type: "split-request", task: task(0), token: stranger }));
        writeFileSync(join(tmpdir(), "weir-forged-split.txt"), "forged\n");
        for (const subtaskIndex of [0, 1]) {
          cluster.bus.publish(subjects.splitsToReader(jobId, "v1", 0, subtaskIndex), encode({ type: "split-assignment", task: task(subtaskIndex), token: stranger, seq: 1, splits: [{ path: join(tmpdir(), "weir-forged-split.txt"), offset: 0 }] }));
        }
        await waitFor(() => (cluster.metrics.sum("weir_rejected_messages_total", { reason: "wrong-deployment" }) >= 3 ? true : undefined), "the three rejections");
        writeFileSync(join(watched, "b.txt"), "b1\n");
        await waitFor(() => (out.values.length >= 3 ? true : undefined), "the added file's line");
        await client.cancel();
        await client.result.catch(() => undefined);
      } finally {
        await cluster.close();
      }
      expect([...out.values].sort()).toEqual(["a1", "a2", "b1"]);
      expect(cluster.metrics.sum("weir_rejected_messages_total", { endpoint: "split-enumerator split-forged v1", reason: "wrong-deployment" })).toBe(1);
    } finally {
      rmSync(watched, { recursive: true, force: true });
      rmSync(join(tmpdir(), "weir-forged-split.txt"), { force: true });
    }
  });
});
