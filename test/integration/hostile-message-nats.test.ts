// The 18 bytes that once made a job manager deaf — `{type: <int64>, v: 1}` — published by a plain
// NATS client with no weir code, on every subject the job manager and a worker serve, before and
// while a job runs: each is rejected and logged, both processes keep serving, and the job's output
// is exact. A deployment replayed with a vertex the job lacks fails only that subtask.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subjects } from "../../src/bus/subjects.ts";
import { decode, encode } from "../../src/messages/codec.ts";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { expectedWordCounts, finalCounts, generateText } from "../fixtures/word-count-expectation.ts";

const HOSTILE = Uint8Array.from([0x82, 0xa4, 0x74, 0x79, 0x70, 0x65, 0xd3, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xa1, 0x76, 0x01]);

describe("a message whose type is an int64, on a live cluster", () => {
  let server: NatsServerHandle;
  let processes: WeirProcess[] = [];
  let stranger: NatsConnection;
  const dir = mkdtempSync(join(tmpdir(), "weir-hostile-"));

  beforeAll(async () => {
    server = await startNatsServer();
    processes = [await startJobManagerProcess(server.url), await startWorkerProcess(server.url, 2, "w-hostile")];
    stranger = await connect({ servers: server.url, name: "stranger" });
  });

  afterAll(async () => {
    await stranger?.close();
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
  });

  it("is rejected everywhere, and the cluster still runs a job with exact output", async () => {
    const served = [
      subjects.submitJob(),
      subjects.registerWorker(),
      subjects.unregisterWorker(),
      subjects.heartbeat(),
      subjects.requestSlots(),
      subjects.releaseSlots(),
      subjects.workerLost(),
      subjects.workerControl("w-hostile"),
    ];
    for (const subject of served) stranger.publish(subject, HOSTILE);
    await stranger.flush();

    // A forged deployment: a real deploy-task of the job, overheard and replayed naming a vertex
    // the job lacks. Building that subtask throws; only that subtask fails, not the worker.
    let forged = false;
    stranger.subscribe(subjects.workerControl("w-hostile"), {
      callback: (_error, msg) => {
        const outcome = decode(msg.data, ["deploy-task"]);
        if (forged || !outcome.ok) return;
        forged = true;
        stranger.publish(msg.subject, encode({ ...outcome.message, task: { ...outcome.message.task, vertexId: "no-such-vertex" } }));
      },
    });

    const text = generateText(3000);
    const input = join(dir, "input.txt");
    const output = join(dir, "counts.ndjson");
    writeFileSync(input, text);
    const run = runWeir(["run", "examples/word-count.ts", "--nats", server.url, "--parallelism", "2", "--", "--input", input, "--output", output]);
    // And again while the job runs: a request on the dispatcher's subject gets no reply but breaks nothing.
    for (const subject of served) stranger.publish(subject, HOSTILE);
    await stranger.flush();
    const result = await run;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("finished");
    expect(finalCounts(readFileSync(output, "utf8")).totals).toEqual(expectedWordCounts(text));

    const [jobManager, worker] = processes;
    expect(forged).toBe(true);
    expect(worker.logs()).toContain("job graph has no vertex no-such-vertex");
    expect(worker.child.exitCode).toBeNull();
    for (const p of processes) expect(p.logs()).not.toMatch(/reader closed|Do not know how to serialize a BigInt/);
    expect(jobManager.logs()).toContain("unknown message type 9223372036854775807n");
    expect(worker.logs()).toContain("unknown message type 9223372036854775807n");
    // Both still serve: a second job runs after the attack too.
    const again = await runWeir(["run", "examples/word-count.ts", "--nats", server.url, "--", "--input", input, "--output", join(dir, "again.ndjson")]);
    expect(again.code).toBe(0);
    expect(finalCounts(readFileSync(join(dir, "again.ndjson"), "utf8")).totals).toEqual(expectedWordCounts(text));
  });
});
