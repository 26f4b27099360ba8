// A secured bus: nats-server started with deploy/nats-server.conf (a user per role, inside
// `accounts { }`). A job manager, a worker and a client each log in as their own user and the job
// is exact; without credentials a command is refused in one line; the client's user cannot forge
// a job's data or control messages nor register a worker: the server refuses every such publish.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, PermissionViolationError, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subjects } from "../../src/bus/subjects.ts";
import { NatsBus, NatsNotPermittedError } from "../../src/bus/nats-bus.ts";
import { natsLogin } from "../../src/bus/nats-login.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { waitFor } from "../fixtures/wait-for.ts";
import { decode, encode } from "../../src/messages/codec.ts";
import { hasEnded } from "../../src/messages/schema.ts";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { expectedWordCounts, finalCounts, generateText } from "../fixtures/word-count-expectation.ts";
import { CHECKPOINTED_COUNTS, type KeyCount } from "../fixtures/jobs/checkpointed-keyed-counts.ts";
import { range, tally, totalsPerKey } from "../fixtures/running-counts.ts";

const PASSWORDS = { WEIR_JOBMANAGER_PASSWORD: "jm-secret", WEIR_WORKER_PASSWORD: "worker-secret", WEIR_CLIENT_PASSWORD: "client-secret" };
const CLIENT_LOGIN = { WEIR_NATS_USER: "weir-client", WEIR_NATS_PASSWORD: PASSWORDS.WEIR_CLIENT_PASSWORD };

describe("a bus secured with a NATS user per role", () => {
  let server: NatsServerHandle;
  let processes: WeirProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "weir-secured-"));
  const input = join(dir, "input.txt");
  const text = generateText(4000);
  const expected = expectedWordCounts(text);

  beforeAll(async () => {
    writeFileSync(input, text);
    server = await startNatsServer({ config: "deploy/nats-server.conf", env: PASSWORDS });
    processes = [await startJobManagerProcess(server.url, ["--user", "weir-jobmanager", "--password", PASSWORDS.WEIR_JOBMANAGER_PASSWORD])];
    processes.push(await startWorkerProcess(server.url, 2, "worker-a", ["--user", "weir-worker", "--password", PASSWORDS.WEIR_WORKER_PASSWORD]));
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
  });

  it("runs a job end to end with the job manager, the worker and the client each logged in as its own user", async () => {
    const output = join(dir, "counts.ndjson");
    const result = await runWeir(["run", "examples/word-count.ts", "--nats", server.url, "-p", "2", "--", "--input", input, "--output", output], 50_000, CLIENT_LOGIN);
    expect(result.stderr).toMatch(/^job [0-9a-f]{16} submitted\njob [0-9a-f]{16} finished in \d+ ms\n$/);
    expect(result.code).toBe(0);
    const { totals, nonIncreasing } = finalCounts(readFileSync(output, "utf8"));
    expect(totals).toEqual(expected);
    expect(nonIncreasing).toEqual([]);
  });

  it("checkpoints into a JetStream Object Store and collects results with each role's login: a failure restarts from a checkpoint, exactly once", async () => {
    const results = join(dir, "collected.json");
    const marker = join(dir, "failed-once");
    const job = ["test/fixtures/jobs/checkpointed-keyed-counts.ts", "--storage", "object-store://weir-secured-checkpoints", "--results", results, "--rate", "4000", "--fail-marker", marker];
    const result = await runWeir(["run", job[0], "--nats", server.url, "--", ...job.slice(1)], 50_000, CLIENT_LOGIN);
    // The restart says why: the injected failure.
    expect(result.stderr).toMatch(/^job [0-9a-f]{16} submitted\njob [0-9a-f]{16} restarting: [^\n]*injected failure after two checkpoints[^\n]*\njob [0-9a-f]{16} finished in \d+ ms\n$/);
    expect(result.code).toBe(0);
    const collected = JSON.parse(readFileSync(results, "utf8")) as KeyCount[];
    expect(tally(collected, totalsPerKey(range(CHECKPOINTED_COUNTS.events), CHECKPOINTED_COUNTS.keys))).toEqual({ lost: 0, duplicated: 0 });
    expect(processes[0].logs()).toMatch(/"msg":"restarting the job".*injected failure after two checkpoints|injected failure after two checkpoints.*"msg":"restarting the job"/);
    expect(processes.map((p) => p.logs()).join("")).not.toContain("lacks the permission");
  });

  it("refuses a command that brings no credentials, or wrong ones, in one line with exit code 4", async () => {
    const [anonymous, wrong] = await Promise.all([runWeir(["list", "--nats", server.url]), runWeir(["worker", "--nats", server.url, "--user", "weir-worker", "--password", "wrong"])]);
    expect(anonymous).toEqual({
      code: 4,
      stdout: "",
      stderr: `weir: the NATS server at ${server.url} refused the login without credentials (Authorization Violation); it asks for credentials: give --user and --password, --token or --creds (or $WEIR_NATS_USER and $WEIR_NATS_PASSWORD, …) (docs/security.md)\n`,
    });
    expect(wrong).toEqual({
      code: 4,
      stdout: "",
      stderr: `weir: the NATS server at ${server.url} refused the login as user "weir-worker" (Authorization Violation); check them against the server's configuration (docs/security.md)\n`,
    });
  });

  it("refuses a worker that logs in as a client when it subscribes to its control subject, with exit code 4", async () => {
    const result = await runWeir(["worker", "--nats", server.url, "--id", "intruder", "--log-level", "silent"], 20_000, CLIENT_LOGIN);
    expect(result).toEqual({
      code: 4,
      stdout: "",
      stderr: 'weir worker: the NATS server refused the subscription to weir.worker.intruder.control: Permissions Violation for Subscription to "weir.worker.intruder.control"; it needs the login of the NATS user for workers (docs/security.md)\n',
    });
  });

  it("lets the client's user publish no frame, credit, control, status, collect or registration: the server refuses each, and the job stays exact", async () => {
    const attacker = await connect({ servers: server.url, user: "weir-client", pass: PASSWORDS.WEIR_CLIENT_PASSWORD });
    const refused = collectRefusals(attacker);
    // The client's user may follow any job's status: the attack starts as soon as a job is under way
    // (an ended job's status, published again by the dispatcher, is the earlier test's).
    const jobIds: string[] = [];
    const forged = new Promise<string[]>((resolve) => {
      attacker.subscribe(subjects.everyJob("status"), {
        callback: (_error, msg) => {
          const jobId = msg.subject.split(".")[2];
          const status = decode(msg.data, ["job-status"]);
          if (jobIds.includes(jobId) || !status.ok || hasEnded(status.message.status)) return;
          jobIds.push(jobId);
          resolve(forge(attacker, jobId));
        },
      });
    });
    await attacker.flush();
    const output = join(dir, "attacked.ndjson");
    const result = await runWeir(["run", "examples/word-count.ts", "--nats", server.url, "-p", "2", "--", "--input", input, "--output", output], 50_000, CLIENT_LOGIN);
    const attempts = await forged;
    await attacker.flush();
    const registration = await attacker.request(subjects.registerWorker(), encode({ type: "register-worker", workerId: "intruder", slots: 64, host: "elsewhere", pid: 1 }), { timeout: 2000 }).then(
      () => "answered",
      (error: Error) => (error.cause instanceof PermissionViolationError ? error.cause.message : error.message),
    );
    await attacker.close();

    expect(result.code).toBe(0);
    const { totals, nonIncreasing } = finalCounts(readFileSync(output, "utf8"));
    expect(totals).toEqual(expected);
    expect(nonIncreasing).toEqual([]);
    expect(jobIds).toHaveLength(1);
    expect(refused.sort()).toEqual([...attempts, `publish ${subjects.registerWorker()}`].sort());
    expect(registration).toBe('Permissions Violation for Publish to "weir.rm.register"');
  });
});

describe("a bus over TLS with client certificates", () => {
  let server: NatsServerHandle;
  const dir = mkdtempSync(join(tmpdir(), "weir-tls-"));
  const pem = (name: string) => join(dir, name);

  beforeAll(async () => {
    makeCertificates(dir);
    server = await startNatsServer({ jetstream: false, args: ["--tls", "--tlscert", pem("server.pem"), "--tlskey", pem("server-key.pem"), "--tlscacert", pem("ca.pem"), "--tlsverify"] });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("connects with the CA, a client certificate and its key, and says when the server's certificate is not trusted", async () => {
    const url = `tls://127.0.0.1:${server.port}`;
    const [trusted, untrusted] = await Promise.all([
      runWeir(["list", "--nats", url, "--tls-ca", pem("ca.pem"), "--tls-cert", pem("client.pem"), "--tls-key", pem("client-key.pem")]),
      runWeir(["list", "--nats", url, "--tls-cert", pem("client.pem"), "--tls-key", pem("client-key.pem")]),
    ]);
    // Connected: only the job manager is missing.
    expect(trusted).toEqual({ code: 1, stdout: "", stderr: "weir: no job manager answered: is `weir jobmanager` running against this NATS server?\n" });
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(new RegExp(`^weir: cannot connect to NATS at ${url}: .+\\. The server's TLS certificate was not accepted: no TLS CA was given, so it must be signed by a CA the system trusts; give the server's CA with --tls-ca \\(or \\$WEIR_NATS_TLS_CA\\), and the certificate must name the URL's host\n$`));
  });
});

/** A CA, a server certificate for localhost and 127.0.0.1, and a client certificate, as PEM files in `dir`. */
function makeCertificates(dir: string): void {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  const key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl("req", "-x509", ...key, "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "1", "-subj", "/CN=weir test CA");
  writeFileSync(join(dir, "server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  for (const [name, extra] of [["server", ["-extfile", "server.ext"]], ["client", []]] as const) {
    openssl("req", ...key, "-keyout", `${name}-key.pem`, "-out", `${name}.csr`, "-subj", `/CN=weir ${name}`);
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-out", `${name}.pem`, "-days", "1", ...extra);
  }
}

describe("NatsBus logged in with a user's permissions", () => {
  let server: NatsServerHandle;

  beforeAll(async () => {
    server = await startNatsServer({ config: "deploy/nats-server.conf", env: PASSWORDS, jetstream: false });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("counts a publish the server refuses, and rejects a request it refuses with NatsNotPermittedError", async () => {
    const outcome = natsLogin({ user: "weir-worker", password: PASSWORDS.WEIR_WORKER_PASSWORD });
    if (outcome.kind !== "login") throw new Error(outcome.problem);
    const metrics = new MetricRegistry();
    const bus = await NatsBus.connect({ servers: server.url, login: outcome.login, name: "test-worker", log: silentLogger(), metrics });
    try {
      bus.publish(subjects.jobStatus("0123abcd"), new Uint8Array([1]));
      bus.publish(subjects.heartbeat(), new Uint8Array([1]));
      await bus.flush();
      expect(await waitFor(() => (metrics.sum("weir_nats_permission_violations_total") > 0 ? metrics.sum("weir_nats_permission_violations_total") : undefined), "the refused publish", 10_000)).toBe(1);
      const refused = await bus.request(subjects.submitJob(), new Uint8Array([1]), { timeoutMs: 2000 }).catch((error: Error) => error);
      expect(refused).toBeInstanceOf(NatsNotPermittedError);
      expect((refused as Error).message).toBe('the NATS server refused: Permissions Violation for Publish to "weir.dispatcher.submit"');
    } finally {
      await bus.close();
    }
  });
});

/** Every publish or subscription the server refused this connection, as "publish <subject>" or "subscription <subject>". */
function collectRefusals(connection: NatsConnection): string[] {
  const refused: string[] = [];
  void (async () => {
    for await (const status of connection.status()) {
      if (status.type === "error" && status.error instanceof PermissionViolationError) refused.push(`${status.error.operation} ${status.error.subject}`);
    }
  })();
  return refused;
}

/** Publishes what only workers and the job manager may on `jobId`'s subjects; returns what it tried. */
function forge(connection: NatsConnection, jobId: string): string[] {
  const bytes = new Uint8Array([1, 2, 3]);
  const published = [
    subjects.frames(jobId, 0, "v1-v2", 0, 0),
    subjects.credits(jobId, 0, "v1-v2", 0, 0),
    subjects.checkpointControl(jobId),
    subjects.checkpointAcks(jobId),
    subjects.taskState(jobId),
    subjects.jobStatus(jobId),
    subjects.collect(jobId),
    subjects.workerControl("worker-a"),
    subjects.heartbeat(),
  ];
  for (const subject of published) connection.publish(subject, bytes);
  // Nor may it listen to the job's frames.
  connection.subscribe(subjects.framesInto(jobId, 0, "v1-v2", 0));
  return [...published.map((s) => `publish ${s}`), `subscription ${subjects.framesInto(jobId, 0, "v1-v2", 0)}`];
}
