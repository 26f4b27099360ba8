// The root logger writes JSON for machines or readable lines for people, as asked.

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createRootLogger } from "../../src/observability/logger.ts";

describe("the root logger", () => {
  const dir = mkdtempSync(join(tmpdir(), "weir-logger-"));

  it("writes one JSON object a line by default when the destination is not a terminal", () => {
    const file = join(dir, "json.log");
    createRootLogger({ name: "weir-test", level: "info", destination: file }).info({ jobId: "j1" }, "job accepted");
    const entry = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    expect([entry.level, entry.name, entry.jobId, entry.msg, entry.pid]).toEqual([30, "weir-test", "j1", "job accepted", process.pid]);
  });

  it("writes readable lines with format pretty: time, level, name, message, then the fields", () => {
    const file = join(dir, "pretty.log");
    const log = createRootLogger({ name: "weir-test", level: "info", destination: file, format: "pretty" });
    log.info({ jobId: "j1" }, "job accepted");
    log.debug("not at this level");
    log.warn("slots are short");
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    expect(lines.map((l) => l.replace(/^\[\d\d:\d\d:\d\d\.\d{3}\] /, ""))).toEqual(['INFO (weir-test): job accepted {"jobId":"j1"}', "WARN (weir-test): slots are short"]);
  });
});
