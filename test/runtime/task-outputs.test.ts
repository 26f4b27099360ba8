// A subtask's outputs take credit only from their consumers' deployment: a grant without the
// attempt's channel token is a stranger's, counted and ignored, so it cannot lift backpressure.

import { afterEach, describe, expect, it } from "vitest";
import { InProcessBus } from "../../src/bus/in-process-bus.ts";
import { subjects } from "../../src/bus/subjects.ts";
import { SimulatedClock } from "../../src/core/clock.ts";
import { encode } from "../../src/messages/codec.ts";
import { Rejections } from "../../src/messages/rejections.ts";
import type { JobEdgeSpec } from "../../src/messages/schema.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { ChannelWriter } from "../../src/runtime/channel-writer.ts";
import { PartitionedOutput } from "../../src/runtime/operator-chain.ts";
import { TaskOutputs } from "../../src/runtime/task-outputs.ts";
import { silentLogger } from "../../src/observability/logger.ts";

const JOB = "job-1";
const TOKEN = "attempt-token";
const task = { jobId: JOB, vertexId: "v1", subtaskIndex: 0, attempt: 0 };

let bus: InProcessBus;
afterEach(async () => {
  await bus?.close();
});

describe("TaskOutputs credits", () => {
  it("ignores a grant without the attempt's token: the frame waits until its consumer grants credit", async () => {
    bus = new InProcessBus();
    const metrics = new MetricRegistry();
    const writer = new ChannelWriter(bus, subjects.frames(JOB, 0, "e0", 0, 0), 0, TOKEN, () => undefined);
    const edge = { id: "e0" } as unknown as JobEdgeSpec;
    const output = new PartitionedOutput(edge, [0], [writer], { select: () => 0 }, { value: undefined });
    const outputs = new TaskOutputs([output], [writer], new SimulatedClock(0));
    outputs.subscribeCredits(bus, task, TOKEN, new Rejections(metrics, silentLogger(), "test outputs"));
    writer.emit("a");
    writer.flush();
    expect(outputs.isBackpressured).toBe(true);

    const credits = subjects.credits(JOB, 0, "e0", 0, 0);
    bus.publish(credits, encode({ type: "credit", consumer: 0, credits: 100, token: "forged" }));
    await bus.flush();
    expect(outputs.isBackpressured).toBe(true);
    expect(metrics.sum("weir_rejected_messages_total", { endpoint: "test outputs", reason: "wrong-deployment" })).toBe(1);

    bus.publish(credits, encode({ type: "credit", consumer: 0, credits: 1, token: TOKEN }));
    await bus.flush();
    expect(outputs.isBackpressured).toBe(false);
    expect(writer.framesSent).toBe(1);
  });
});
