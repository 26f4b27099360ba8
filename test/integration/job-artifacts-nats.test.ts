// Job artifacts over a real nats-server, job manager and worker processes: a worker runs a job
// whose file it never saw (deleted before the worker started, and the worker's directory is
// elsewhere); two versions of one module are two artifacts, each running its own code; a forged
// or missing artifact fails the job saying so, and the worker counts the refusal (the job manager,
// for a job whose source has a split enumerator, which it loads first); an artifact no running job
// uses leaves the bucket.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NatsBus } from "../../src/bus/nats-bus.ts";
import { systemClock } from "../../src/core/clock.ts";
import { ArtifactStore } from "../../src/cluster/artifact-store.ts";
import { bundleJobModule } from "../../src/cluster/job-bundle.ts";
import { submitJob } from "../../src/cluster/job-client.ts";
import { importJobDefinition } from "../../src/cluster/job-loader.ts";
import { StreamExecutionEnvironment } from "../../src/cluster/environment.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import type { JobSummary } from "../../src/observability/views.ts";
import { restEndpointOf, runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { waitFor } from "../fixtures/wait-for.ts";

const WEIR = resolve("src/index.ts");
const N = 50;

/** A job module in `dir` whose local helper labels each number; it writes `label:n*n` lines to --out. */
function writeJob(dir: string, label: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "label.ts"), `export const label = (n: number): string => \`${label}:\${n * n}\`;\n`);
  const path = join(dir, "squares.ts");
  writeFileSync(
    path,
    [
      `import { parseArgs } from "node:util";`,
      `import { defineJob } from ${JSON.stringify(WEIR)};`,
      `import { label } from "./label.ts";`,
      `export default defineJob((env, args) => {`,
      `  const { values } = parseArgs({ args, options: { out: { type: "string" } } });`,
      `  env.fromSequence(1, ${N}).map(label).name("label").writeAsText(values.out!).setParallelism(1);`,
      `});`,
    ].join("\n"),
  );
  return path;
}

/** A job module in `dir` whose file source (it has a split enumerator) reads --in and writes `label:n` lines to --out. */
function writeFileJob(dir: string, label: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "files.ts");
  writeFileSync(
    path,
    [
      `import { parseArgs } from "node:util";`,
      `import { defineJob, fileSource } from ${JSON.stringify(WEIR)};`,
      `export default defineJob((env, args) => {`,
      `  const { values } = parseArgs({ args, options: { in: { type: "string" }, out: { type: "string" } } });`,
      `  env.fromSource(fileSource<string>({ path: env.resolvePath(values.in!), format: (line) => line }), "Files").uid("files")`,
      `    .map((line) => \`${label}:\${line}\`).name("label").writeAsText(values.out!).setParallelism(1);`,
      `});`,
    ].join("\n"),
  );
  return path;
}

/** What the job must write: computed here, not by weir. */
const expected = (label: string): string[] => Array.from({ length: N }, (_, i) => `${label}:${(i + 1) ** 2}`).sort();
const linesOf = (file: string): string[] => readFileSync(file, "utf8").trimEnd().split("\n").sort();

describe("job artifacts on a cluster", () => {
  let server: NatsServerHandle;
  let jobManager: WeirProcess;
  let worker: WeirProcess | undefined;
  const root = mkdtempSync(join(tmpdir(), "weir-artifacts-"));
  const workerDir = join(root, "worker");
  const cache = join(workerDir, "cache");
  const jobManagerCache = join(root, "jobmanager-cache");

  const jobs = async (): Promise<JobSummary[]> => JSON.parse((await runWeir(["list", "--json", "--nats", server.url])).stdout) as JobSummary[];
  const metricsText = async (): Promise<string> => {
    const url = /metrics at (http:\/\/[^\s"]+)/.exec(worker!.logs())![1];
    return (await fetch(url)).text();
  };

  /** The one worker, started by the first test once its job is submitted (or by whichever test runs first). */
  const startWorker = async (): Promise<void> => {
    worker ??= await startWorkerProcess(server.url, 2, "artifacts-w1", ["--artifact-cache", cache, "--metrics-port", "0"], workerDir);
  };

  beforeAll(async () => {
    server = await startNatsServer();
    jobManager = await startJobManagerProcess(server.url, ["--slot-timeout", "60000", "--artifact-grace", "500", "--artifact-cache", jobManagerCache]);
    mkdirSync(workerDir, { recursive: true });
    // The job modules written below are ES modules, as in a project with "type": "module".
    writeFileSync(join(root, "package.json"), `${JSON.stringify({ type: "module" })}\n`);
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await jobManager?.stop();
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("runs a job on a worker that never saw its file: deleted before the worker started, in another directory", async () => {
    const jobDir = join(root, "gone");
    const job = writeJob(jobDir, "v1");
    const { digest } = await bundleJobModule(job);
    const out = join(root, "first.txt");
    const submitted = await runWeir(["run", job, "--nats", server.url, "--detached", "--", "--out", out]);
    expect(submitted.code).toBe(0);
    const jobId = submitted.stdout.trim();
    rmSync(jobDir, { recursive: true });

    expect(worker).toBeUndefined();
    await startWorker();
    const status = await waitFor(async () => {
      const s = (await jobs()).find((j) => j.id === jobId)?.status;
      return s === "finished" || s === "failed" ? s : undefined;
    }, "the job to end");
    expect(status).toBe("finished");
    expect(linesOf(out)).toEqual(expected("v1"));
    expect(existsSync(join(workerDir, "squares.ts"))).toBe(false);
    // The worker keeps the artifact by its digest.
    expect(readdirSync(cache).filter((f) => f.endsWith(".js"))).toEqual([`${digest.slice("sha256:".length)}.js`]);
  }, 120_000);

  it("gives two versions of one module (same graph) two digests, and each run runs its own code", async () => {
    await startWorker();
    const dir = join(root, "versions");
    const outputs: string[][] = [];
    const digests: string[] = [];
    for (const label of ["v2", "v3"]) {
      const job = writeJob(dir, label);
      digests.push((await bundleJobModule(job)).digest);
      const out = join(root, `${label}.txt`);
      const result = await runWeir(["run", job, "--nats", server.url, "--", "--out", out]);
      expect(result.code, result.stderr).toBe(0);
      outputs.push(linesOf(out));
    }
    expect(digests[0]).not.toBe(digests[1]);
    expect(outputs).toEqual([expected("v2"), expected("v3")]);
    const cached = readdirSync(cache).filter((f) => f.endsWith(".js"));
    for (const digest of digests) expect(cached).toContain(`${digest.slice("sha256:".length)}.js`);
    // Once their jobs have ended (and the grace has passed), the bucket no longer holds them.
    const bus = await NatsBus.connect({ servers: server.url, name: "artifacts-retention", log: silentLogger(), metrics: new MetricRegistry() });
    try {
      const store = await ArtifactStore.open(bus.connection, "existing");
      for (const digest of digests) await waitFor(async () => ((await store.fetch(digest)) === undefined ? true : undefined), `artifact ${digest} to be removed`);
    } finally {
      await bus.close();
    }
  }, 120_000);

  describe("an artifact a worker must refuse", () => {
    let bus: NatsBus;
    const log = silentLogger();
    const metrics = new MetricRegistry();

    beforeAll(async () => {
      await startWorker();
      bus = await NatsBus.connect({ servers: server.url, name: "artifacts-test", log, metrics });
    });
    afterAll(async () => {
      await bus?.close();
    });

    /** Submits `job` naming the artifact `digest`, as a client that uploads nothing would; resolves with how it ended. */
    const submitNaming = async (job: string, digest: string, out: string, args = ["--out", out]): Promise<string> => {
      const env = new StreamExecutionEnvironment({ cwd: root });
      await (await importJobDefinition(job))(env, args);
      const prepared = { jobGraph: buildJobGraph(env.graph, env.jobConfig("squares")), streamGraph: env.graph, collectors: new Map() };
      const artifact = { kind: "bundle" as const, digest, module: "squares.ts", args, cwd: root };
      const client = await submitJob(prepared, { deps: { bus, clock: systemClock, log, metrics, nats: bus.connection }, artifact });
      return client.result.then(
        () => "finished",
        (error: Error) => error.message,
      );
    };

    it("refuses bytes that are not what the digest names (a forged or altered object), and counts it", async () => {
      const genuine = await bundleJobModule(writeJob(join(root, "genuine"), "genuine"));
      // A working job that writes other lines, stored under the genuine bundle's name.
      const forged = await bundleJobModule(writeJob(join(root, "forged"), "forged"));
      const store = await ArtifactStore.open(bus.connection, "create");
      await store.remove(genuine.digest);
      await store.upload({ ...forged, digest: genuine.digest });
      const out = join(root, "forged.txt");

      const outcome = await submitNaming(join(root, "genuine", "squares.ts"), genuine.digest, out);
      expect(outcome).toContain(`job artifact ${genuine.digest} (squares.ts) fetched from bucket weir-artifacts has the digest ${forged.digest}: it was altered or forged, and this worker refuses to run it`);
      expect(existsSync(out)).toBe(false);
      expect(await metricsText()).toContain('weir_artifact_rejections_total{reason="digest-mismatch"} 1');
      expect(readdirSync(cache)).not.toContain(`${genuine.digest.slice("sha256:".length)}.js`);
    }, 120_000);

    it("the job manager refuses a forged artifact of a job whose source has a split enumerator, and counts it", async () => {
      const input = join(root, "lines");
      mkdirSync(input, { recursive: true });
      writeFileSync(join(input, "a.txt"), "1\n2\n3\n");
      const genuine = await bundleJobModule(writeFileJob(join(root, "files-genuine"), "genuine"));
      const forged = await bundleJobModule(writeFileJob(join(root, "files-forged"), "forged"));
      const store = await ArtifactStore.open(bus.connection, "create");
      await store.remove(genuine.digest);
      await store.upload({ ...forged, digest: genuine.digest });
      const out = join(root, "files-forged.txt");

      const outcome = await submitNaming(join(root, "files-genuine", "files.ts"), genuine.digest, out, ["--in", input, "--out", out]);
      expect(outcome).toContain(`job artifact ${genuine.digest} (squares.ts) fetched from bucket weir-artifacts has the digest ${forged.digest}: it was altered or forged, and the job manager refuses to run it`);
      expect(existsSync(out)).toBe(false);
      const { url } = restEndpointOf(jobManager);
      expect(await (await fetch(`${url}/metrics`)).text()).toContain('weir_artifact_rejections_total{reason="digest-mismatch"} 1');
      expect(existsSync(jobManagerCache) ? readdirSync(jobManagerCache) : []).not.toContain(`${genuine.digest.slice("sha256:".length)}.js`);
    }, 120_000);

    it("fails a job whose artifact is not in the bucket, saying so", async () => {
      const never = await bundleJobModule(writeJob(join(root, "never"), "never-uploaded"));
      const out = join(root, "never.txt");
      const outcome = await submitNaming(join(root, "never", "squares.ts"), never.digest, out);
      expect(outcome).toContain(`job artifact ${never.digest} (squares.ts) is not in the object store bucket weir-artifacts: it was removed or never uploaded there`);
      expect(existsSync(out)).toBe(false);
      expect(await metricsText()).toContain('weir_artifact_rejections_total{reason="missing"} 1');
    }, 120_000);
  });

  it("fails `weir run` at once, naming the file and the error, when the job module does not parse", async () => {
    const path = join(root, "broken.ts");
    writeFileSync(path, `import { defineJob } from ${JSON.stringify(WEIR)};\nexport default defineJob((env) => {\n  env.fromSequence(1, 3).map((n) => n +);\n});\n`);
    const before = (await jobs()).length;
    const result = await runWeir(["run", path, "--nats", server.url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`weir: cannot bundle job module ${path}: ${path}:3:40: Unexpected ")"\n`);
    expect((await jobs()).length).toBe(before);
  }, 60_000);
});

describe("job artifacts on a NATS server without JetStream", () => {
  let server: NatsServerHandle;
  const dir = mkdtempSync(join(tmpdir(), "weir-artifacts-nojs-"));
  beforeAll(async () => {
    server = await startNatsServer({ jetstream: false });
    writeFileSync(join(dir, "package.json"), `${JSON.stringify({ type: "module" })}\n`);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("fails `weir run` saying the cluster needs JetStream for the artifact bucket", async () => {
    const result = await runWeir(["run", writeJob(dir, "nojs"), "--nats", server.url, "--", "--out", join(dir, "out.txt")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^weir: cannot open the job artifact bucket on ${server.url} \\(a cluster needs JetStream: nats-server -js\\): .+\\n$`));
  }, 60_000);
});
