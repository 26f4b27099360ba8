// weir as a user gets it: `npm pack` the repository, install the tarball into a fresh project
// outside it, and use it from there. A TypeScript job importing "weir" runs embedded with
// `npx weir run` and on a real NATS cluster whose job manager and worker are the installed bin;
// "weir/testing" loads, and the package's .d.ts files type-check the project.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNatsServer, type NatsServerHandle } from "../../src/testing/index.ts";
import { runCommand, runOk, startDaemon, type Daemon } from "./commands.ts";

const root = resolve(import.meta.dirname, "../..");

const JOB = `import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { defineJob, StreamExecutionEnvironment } from "weir";

interface WordCount {
  word: string;
  count: number;
}

export default defineJob((env, args) => {
  // The command built env from its own copy of weir; this module must see the very same one.
  if (!(env instanceof StreamExecutionEnvironment)) throw new Error("the job and the weir command loaded two copies of weir");
  const { values } = parseArgs({ args, options: { input: { type: "string" }, output: { type: "string" } } });
  if (!values.input || !values.output) throw new Error("needs --input <file> and --output <file>");
  const lines = readFileSync(env.resolvePath(values.input), "utf8").split("\\n");
  env
    .fromCollection(lines)
    .flatMap<WordCount>((line, out) => {
      for (const word of line.split(" ")) if (word) out.collect({ word, count: 1 });
    })
    .keyBy((wc) => wc.word)
    .sum("count")
    .writeAsNdjson(values.output)
    .setParallelism(1);
});
`;

const CLOCK = `import { SimulatedClock } from "weir/testing";

const clock = new SimulatedClock(1_000);
clock.advanceBy(234);
// @ts-expect-error: now() is typed as a number, so the package's types are not \`any\`.
const wrong: string = clock.now();
console.log(clock.now(), wrong === undefined);
`;

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    types: ["node"],
    // @types/node comes from weir's repository; a user's project would install it.
    typeRoots: [join(root, "node_modules", "@types")],
  },
  include: ["*.ts"],
};

const INPUT = "to be or not to be\nthat is the question\nto be\n";

// Every update of a word's count is one line; the sink sees each word's updates in order.
const EXPECTED_LINES = [
  ["to", 1], ["be", 1], ["or", 1], ["not", 1], ["to", 2], ["be", 2],
  ["that", 1], ["is", 1], ["the", 1], ["question", 1], ["to", 3], ["be", 3],
].map(([word, count]) => JSON.stringify({ word, count }));

function outputLines(file: string): string[] {
  return readFileSync(file, "utf8").split("\n").filter((line) => line !== "");
}

/** The last count written per word, and the counts of each word in the order they were written. */
function countsPerWord(lines: string[]): Map<string, number[]> {
  const counts = new Map<string, number[]>();
  for (const line of lines) {
    const { word, count } = JSON.parse(line) as { word: string; count: number };
    counts.set(word, [...(counts.get(word) ?? []), count]);
  }
  return counts;
}

const EXPECTED_PER_WORD = countsPerWord(EXPECTED_LINES);

describe("the packed weir package installed in a project of its own", () => {
  const scratch = mkdtempSync(join(tmpdir(), "weir-package-"));
  const packDir = join(scratch, "pack");
  const project = join(scratch, "project");
  const weirBin = join(project, "node_modules", ".bin", "weir");
  let tarball = "";

  beforeAll(async () => {
    mkdirSync(packDir);
    mkdirSync(project);
    // `npm pack` runs the prepare script, so the tarball holds a fresh build of dist/.
    await runOk("npm", ["pack", "--pack-destination", packDir], root, 180_000);
    const packed = readdirSync(packDir).filter((f) => f.endsWith(".tgz"));
    expect(packed).toEqual(["weir-0.1.0.tgz"]);
    tarball = join(packDir, packed[0]);
    writeFileSync(join(project, "package.json"), `${JSON.stringify({ name: "word-count-job", private: true, type: "module" }, null, 2)}\n`);
    await runOk("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball], project, 180_000);
    writeFileSync(join(project, "job.ts"), JOB);
    writeFileSync(join(project, "clock.ts"), CLOCK);
    writeFileSync(join(project, "tsconfig.json"), `${JSON.stringify(TSCONFIG, null, 2)}\n`);
    writeFileSync(join(project, "input.txt"), INPUT);
  }, 360_000);

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("holds compiled JavaScript and types, not the TypeScript sources", async () => {
    const { stdout } = await runOk("tar", ["-tzf", tarball], scratch);
    const files = stdout.split("\n").filter((f) => f !== "");
    expect(files.filter((f) => f.startsWith("package/src/") || f.startsWith("package/test/"))).toEqual([]);
    for (const needed of ["package/package.json", "package/README.md", "package/bin/weir.mjs", "package/web/dist/index.html", "package/dist/index.js", "package/dist/index.d.ts", "package/dist/testing/index.js", "package/dist/testing/index.d.ts", "package/dist/cli/main.js"]) {
      expect(files).toContain(needed);
    }
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(existsSync(join(project, "node_modules", "weir", "src"))).toBe(false);
  });

  it("runs a TypeScript job embedded with `npx weir run` and writes exact counts", async () => {
    const result = await runCommand("npx", ["--no", "weir", "run", "job.ts", "--", "--input", "input.txt", "--output", "embedded.ndjson"], project);
    expect(result.stderr).toMatch(/^job [0-9a-f]+ finished in \d+ ms\n$/);
    expect(result.code).toBe(0);
    const lines = outputLines(join(project, "embedded.ndjson"));
    expect([...lines].sort()).toEqual([...EXPECTED_LINES].sort());
    expect(countsPerWord(lines)).toEqual(EXPECTED_PER_WORD);
  }, 120_000);

  it("loads weir/testing, whose SimulatedClock keeps simulated time", async () => {
    const result = await runOk(process.execPath, ["--import", "tsx", "clock.ts"], project);
    expect(result.stdout).toBe("1234 false\n");
  }, 120_000);

  it("type-checks the job and a weir/testing user against the package's .d.ts files", async () => {
    const result = await runCommand(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], project);
    expect(result.stdout).toBe("");
    expect(result.code).toBe(0);
  }, 120_000);

  describe("on a cluster of installed `weir` processes", () => {
    let server: NatsServerHandle | undefined;
    const daemons: Daemon[] = [];

    afterAll(async () => {
      await Promise.all(daemons.map((d) => d.stop()));
      await server?.stop();
    });

    it("runs the job with --nats on a job manager and a worker, with exact counts", async () => {
      server = await startNatsServer();
      const jobManager = await startDaemon(weirBin, ["jobmanager", "--nats", server.url, "--rest-port", "0"], project, "job manager ready");
      daemons.push(jobManager);
      // The package ships the built dashboard, which the installed job manager serves.
      const dashboard = /dashboard and REST API at (http:\/\/[^\s"/]+)\//.exec(jobManager.logs())?.[1];
      const page = await fetch(`${dashboard}/`);
      expect([page.status, page.headers.get("content-type")]).toEqual([200, "text/html; charset=utf-8"]);
      expect(await page.text()).toContain('<div id="app"></div>');
      const worker = await startDaemon(weirBin, ["worker", "--nats", server.url, "--slots", "2", "--id", "package-worker"], project, "worker registered");
      daemons.push(worker);
      const result = await runCommand(weirBin, ["run", "job.ts", "--nats", server.url, "--parallelism", "2", "--", "--input", "input.txt", "--output", "cluster.ndjson"], project);
      expect(result.stderr).toMatch(/finished in \d+ ms\n$/);
      expect(result.code).toBe(0);
      const lines = outputLines(join(project, "cluster.ndjson"));
      expect([...lines].sort()).toEqual([...EXPECTED_LINES].sort());
      expect(countsPerWord(lines)).toEqual(EXPECTED_PER_WORD);
      // The worker, not the submitting process, ran the subtasks.
      expect(worker.logs()).toMatch(/"subtask":\d/);
    }, 120_000);
  });
});
