// The config file: defaults for any flag, checked whole before a command runs; flags win.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkConfig, loadConfig } from "../../src/cli/config-file.ts";
import { runWeir, startJobManagerProcess, startNatsServer } from "../../src/testing/index.ts";

const dir = mkdtempSync(join(tmpdir(), "weir-config-"));
const KEYS = "nats, logLevel, logFormat, parallelism, progressInterval, slots, metricsPort, metricsHost, heartbeatTimeout, slotTimeout, probeInterval, restPort, restHost, savepointDir, ha, leaseTtl, reactive, creds, user, password, token, tlsCa, tlsCert, tlsKey";

function configFile(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

describe("the config file", () => {
  it("accepts every key with a value of its type", () => {
    const config = { nats: "nats://h:4222", logLevel: "debug", logFormat: "json", parallelism: 4, progressInterval: 0, slots: 2, metricsPort: 9249, metricsHost: "0.0.0.0", heartbeatTimeout: 5000, slotTimeout: 1000 };
    expect(checkConfig(config, "c.json")).toEqual(config);
  });

  it("names an unknown key and the keys there are, or a wrong value and what the key allows", () => {
    expect(() => checkConfig({ paralelism: 2 }, "c.json")).toThrow(`c.json: unknown key "paralelism"; the keys are ${KEYS}`);
    expect(() => checkConfig({ parallelism: "4" }, "c.json")).toThrow('c.json: "parallelism" must be an integer >= 1, not "4"');
    expect(() => checkConfig({ parallelism: 0 }, "c.json")).toThrow('c.json: "parallelism" must be an integer >= 1, not 0');
    expect(() => checkConfig({ logFormat: "xml" }, "c.json")).toThrow('c.json: "logFormat" must be one of pretty, json, not "xml"');
    expect(() => checkConfig([1], "c.json")).toThrow("c.json: expected an object of settings");
  });

  it("is weir.config.json in the working directory when there is one; a named file must exist", () => {
    const cwd = mkdtempSync(join(tmpdir(), "weir-config-cwd-"));
    expect(loadConfig(undefined, cwd)).toEqual({});
    writeFileSync(join(cwd, "weir.config.json"), '{ "slots": 3 }');
    expect(loadConfig(undefined, cwd)).toEqual({ slots: 3 });
    expect(() => loadConfig(join(cwd, "other.json"), cwd)).toThrow(`config file ${join(cwd, "other.json")} not found`);
    writeFileSync(join(cwd, "weir.config.json"), "{ slots: 3 }");
    expect(() => loadConfig(undefined, cwd)).toThrow(`${join(cwd, "weir.config.json")}: not JSON`);
  });

  it("may be YAML, found as weir.config.yaml or given as a .yml file; only one may be in the directory", () => {
    const cwd = mkdtempSync(join(tmpdir(), "weir-config-yaml-"));
    writeFileSync(join(cwd, "weir.config.yaml"), "# the cluster\nnats: nats://10.0.0.1:4222\nslots: 4\n");
    expect(loadConfig(undefined, cwd)).toEqual({ nats: "nats://10.0.0.1:4222", slots: 4 });
    writeFileSync(join(cwd, "other.yml"), "slots: four\n");
    expect(() => loadConfig(join(cwd, "other.yml"), cwd)).toThrow(`${join(cwd, "other.yml")}: "slots" must be an integer >= 1, not "four"`);
    writeFileSync(join(cwd, "weir.config.json"), "{}");
    expect(() => loadConfig(undefined, cwd)).toThrow(`${join(cwd, "weir.config.json")} and ${join(cwd, "weir.config.yaml")}: keep one config file`);
  });

  it("stops any command before it runs when the file is wrong", async () => {
    const file = configFile("unknown.json", { nats: "nats://127.0.0.1:1", colour: true });
    expect(await runWeir(["list", "--config", file])).toEqual({ code: 1, stdout: "", stderr: `weir: ${file}: unknown key "colour"; the keys are ${KEYS}\n` });
    const wrong = configFile("wrong.json", { slots: -1 });
    expect(await runWeir(["--config", wrong, "trace", "show", "/nonexistent"])).toEqual({ code: 1, stdout: "", stderr: `weir: ${wrong}: "slots" must be an integer >= 1, not -1\n` });
  }, 30_000);

  it("gives defaults for the flags, and a flag on the command line wins", async () => {
    writeFileSync(join(dir, "in.txt"), "a b\n");
    const file = configFile("logs.json", { logLevel: "info", logFormat: "pretty" });
    const job = ["examples/word-count.ts", "--", "--input", join(dir, "in.txt"), "--output", join(dir, "out.ndjson")];
    const fromFile = await runWeir(["run", "--config", file, ...job]);
    expect(fromFile.code).toBe(0);
    const lines = fromFile.stderr.trimEnd().split("\n");
    expect(lines.at(-2)).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(weir-run\): job finished \{"jobId":"[0-9a-f]{16}","durationMs":\d+\}$/);
    expect(lines.at(-1)).toMatch(/^job [0-9a-f]{16} finished in \d+ ms$/);
    const flagWins = await runWeir(["run", "--config", file, "--log-level", "warn", ...job]);
    expect(flagWins.code).toBe(0);
    expect(flagWins.stderr).toMatch(/^job [0-9a-f]{16} finished in \d+ ms\n$/);
  }, 60_000);

  it("turns reactive mode on for weir jobmanager, as --reactive does", async () => {
    expect(() => checkConfig({ reactive: "yes" }, "c.json")).toThrow('c.json: "reactive" must be true or false, not "yes"');
    const server = await startNatsServer();
    const file = configFile("reactive.json", { reactive: true });
    try {
      const reactive = await startJobManagerProcess(server.url, ["--config", file]);
      await reactive.stop("SIGTERM");
      expect(reactive.logs()).toMatch(/"reactive":true,"msg":"job manager ready"/);
      const fixed = await startJobManagerProcess(server.url);
      await fixed.stop("SIGTERM");
      expect(fixed.logs()).toMatch(/"reactive":false,"msg":"job manager ready"/);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it("gives the NATS login too: a flag wins, then a WEIR_NATS_* variable, then the file; a problem names where the value came from", async () => {
    const file = configFile("login.json", { nats: "nats://127.0.0.1:1", password: "from-file" });
    const [fromFile, fromVariable, fromFlag, twoWays, embedded] = await Promise.all([
      runWeir(["list", "--config", file]),
      runWeir(["list", "--config", file], 30_000, { WEIR_NATS_PASSWORD: "from-variable" }),
      runWeir(["list", "--config", file, "--password", "from-flag"], 30_000, { WEIR_NATS_PASSWORD: "from-variable" }),
      runWeir(["cancel", "0123abcd", "--config", file, "--user", "weir-client", "--creds", join(dir, "missing.creds")]),
      runWeir(["run", "examples/word-count.ts", "--user", "weir-client", "--password", "pw"]),
    ]);
    expect(fromFile).toEqual({ code: 1, stdout: "", stderr: 'weir: "password" in the config file goes with --user: name the user the password belongs to\n' });
    expect(fromVariable).toEqual({ code: 1, stdout: "", stderr: "weir: $WEIR_NATS_PASSWORD goes with --user: name the user the password belongs to\n" });
    expect(fromFlag).toEqual({ code: 1, stdout: "", stderr: "weir: --password goes with --user: name the user the password belongs to\n" });
    expect(twoWays).toEqual({ code: 1, stdout: "", stderr: "weir: --creds and --user are different ways to log in to NATS: give one\n" });
    expect(embedded).toEqual({ code: 1, stdout: "", stderr: "weir: the NATS login options go with --nats <url>: an embedded job connects to nothing\n" });
  }, 30_000);
});
