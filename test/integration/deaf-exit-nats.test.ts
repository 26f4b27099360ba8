// A process that cannot serve exits and says why, instead of living on deaf. The server here
// refuses the subjects a job manager and a worker must serve (a permissions mistake an operator
// can make): the server closes those subscriptions, and each process notices and exits with code
// 4, not 3: a supervisor restarting it with the same login would only be refused again. A server
// whose `max_subscriptions` is too small for a worker keeps the connection and only drops the
// subscription: the worker notices the server's error and exits with code 4 too.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWeir, startNatsServer, type NatsServerHandle } from "../../src/testing/index.ts";

describe("a job manager or worker that can no longer serve", () => {
  let server: NatsServerHandle;
  const dir = mkdtempSync(join(tmpdir(), "weir-deaf-"));

  beforeAll(async () => {
    const config = join(dir, "nats.conf");
    // Connections without credentials act as `weir`, who may not subscribe to these two subjects.
    writeFileSync(
      config,
      `authorization { users = [ { user: "weir", password: "weir", permissions: { subscribe: { deny: ["weir.dispatcher.submit", "weir.worker.w-deaf.control"] } } } ] }\nno_auth_user: "weir"\n`,
    );
    server = await startNatsServer({ jetstream: false, args: ["-c", config] });
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a worker and a job manager whose subscriptions the server refuses exit with code 4 and the reason", async () => {
    const [worker, jobManager] = await Promise.all([runWeir(["worker", "--nats", server.url, "--slots", "1", "--id", "w-deaf"], 30_000), runWeir(["jobmanager", "--nats", server.url, "--rest-port", "0"], 30_000)]);
    expect(worker.code).toBe(4);
    expect(worker.stderr).toContain('weir worker: the NATS server refused the subscription to weir.worker.w-deaf.control: Permissions Violation for Subscription to "weir.worker.w-deaf.control"; it needs the login of the NATS user for workers (docs/security.md)\n');
    expect(jobManager.code).toBe(4);
    expect(jobManager.stderr).toContain('weir jobmanager: the NATS server refused the subscription to weir.dispatcher.submit: Permissions Violation for Subscription to "weir.dispatcher.submit"; it needs the login of the NATS user for job managers (docs/security.md)\n');
  });
});

describe("a worker past the server's subscription limit", () => {
  let server: NatsServerHandle;
  const dir = mkdtempSync(join(tmpdir(), "weir-max-subs-"));

  beforeAll(async () => {
    const config = join(dir, "nats.conf");
    // A worker subscribes to three subjects when it starts: the third goes past the limit.
    writeFileSync(config, "max_subscriptions: 2\n");
    server = await startNatsServer({ jetstream: false, args: ["-c", config] });
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("exits with code 4 and says which setting to raise, instead of missing a subject's messages", async () => {
    const worker = await runWeir(["worker", "--nats", server.url, "--slots", "1", "--id", "w-small"], 30_000);
    expect(worker.code).toBe(4);
    expect(worker.stderr).toContain(
      "weir worker: the NATS server refused a subscription: maximum subscriptions exceeded; raise max_subscriptions in the NATS server's configuration (or the account's or user's limit), or give this worker fewer slots\n",
    );
  });
});
