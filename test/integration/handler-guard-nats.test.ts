// A subscription handler that throws, on a real NATS connection: the bus counts it by endpoint and
// reason, the connection keeps delivering (the client's reader never sees the exception), and a
// requester gets the error reply at once instead of a timeout.

import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RemoteHandlerError } from "../../src/bus/bus.ts";
import { HANDLER_EXCEPTIONS_METRIC } from "../../src/bus/handler-guard.ts";
import { NatsBus } from "../../src/bus/nats-bus.ts";
import { MetricRegistry, startNatsServer, type NatsServerHandle } from "../../src/testing/index.ts";

describe("a throwing handler on the NATS bus", () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("is counted, delivery goes on, and a requester gets an error reply", async () => {
    const metrics = new MetricRegistry();
    const log = pino({ level: "silent" });
    const served = await NatsBus.connect({ servers: server.url, name: "served", log, metrics });
    const client = await NatsBus.connect({ servers: server.url, name: "client", log, metrics: new MetricRegistry() });
    const seen: number[] = [];
    served.subscribe("s", (data, _subject, reply) => {
      seen.push(data[0]);
      if (data[0] % 2 === 1) throw new TypeError(`odd ${data[0]}`);
      if (reply) served.publish(reply, data);
    }, { endpoint: "test-endpoint" });
    await served.flush();
    for (let i = 0; i < 6; i++) client.publish("s", new Uint8Array([i]));
    await client.flush();
    await expect(client.request("s", new Uint8Array([7]), { timeoutMs: 20_000 })).rejects.toThrow(RemoteHandlerError);
    // The request was served after the six publishes on the same connection, so all six arrived.
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 7]);
    expect([...(await client.request("s", new Uint8Array([8]), { timeoutMs: 20_000 }))]).toEqual([8]);
    expect(metrics.sum(HANDLER_EXCEPTIONS_METRIC, { endpoint: "test-endpoint", reason: "TypeError" })).toBe(4);
    await client.close();
    await served.close();
  });
});
