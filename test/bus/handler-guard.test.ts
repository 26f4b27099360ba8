// A subscription handler that throws: the in-process bus counts it by endpoint and reason, keeps
// delivering to the same subscription, and fails the request it was serving with the error.

import { describe, expect, it } from "vitest";
import { InProcessBus } from "../../src/bus/in-process-bus.ts";
import { RemoteHandlerError } from "../../src/bus/bus.ts";
import { HANDLER_EXCEPTIONS_METRIC } from "../../src/bus/handler-guard.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";

describe("a throwing handler on the in-process bus", () => {
  it("is counted, delivery goes on, and a requester gets an error reply", async () => {
    const metrics = new MetricRegistry();
    const bus = new InProcessBus({ metrics });
    const seen: number[] = [];
    bus.subscribe("s", (data, _subject, reply) => {
      seen.push(data[0]);
      if (data[0] % 2 === 1) throw new TypeError(`odd ${data[0]}`);
      if (reply) bus.publish(reply, data);
    }, { endpoint: "test-endpoint" });
    for (let i = 0; i < 6; i++) bus.publish("s", new Uint8Array([i]));
    await bus.flush();
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(metrics.sum(HANDLER_EXCEPTIONS_METRIC, { endpoint: "test-endpoint", reason: "TypeError" })).toBe(3);
    await expect(bus.request("s", new Uint8Array([7]))).rejects.toThrow(RemoteHandlerError);
    await expect(bus.request("s", new Uint8Array([7]))).rejects.toThrow("test-endpoint failed to handle the request: TypeError: odd 7");
    expect(await bus.request("s", new Uint8Array([8]))).toEqual(new Uint8Array([8]));
    expect(metrics.sum(HANDLER_EXCEPTIONS_METRIC)).toBe(5);
    await bus.close();
  });
});
