// The sliding-window-count example as a user runs it (`weir run … -- --seconds N`): bounded, it
// ends, and every event is counted in exactly size/slide = 4 windows of 4 s starting on whole seconds.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runWeir } from "../../src/testing/index.ts";

describe("the sliding window count example", () => {
  it("with --seconds, stops, and counts each event in four 4 s windows", async () => {
    const seconds = 1;
    const rate = 3_000;
    const result = await runWeir(["run", "examples/sliding-window-count.ts", "--", "--seconds", String(seconds), "--rate", String(rate), "--keys", "4"]);
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n").filter((line) => line.startsWith("["));
    const parsed = lines.map((line) => {
      const match = /^\[(-?\d+) s, (-?\d+) s\) (sensor-\d): (\d+)$/.exec(line);
      if (!match) throw new Error(`unexpected output line: ${line}`);
      return { start: Number(match[1]), end: Number(match[2]), sensor: match[3], n: Number(match[4]) };
    });
    expect(parsed.every((w) => w.end - w.start === 4)).toBe(true);
    expect(new Set(parsed.map((w) => w.sensor)).size).toBe(4);
    expect(parsed.reduce((total, w) => total + w.n, 0)).toBe(4 * seconds * rate);
  });

  it("with --checkpoints, checkpoints while it runs, and counts the same", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weir-sliding-checkpoints-"));
    try {
      const result = await runWeir(["run", "--log-level", "debug", "--log-format", "json", "examples/sliding-window-count.ts", "--", "--seconds", "3", "--rate", "1000", "--keys", "2", "--checkpoints", dir]);
      expect(result.code).toBe(0);
      const completed = result.stderr.split("\n").filter((line) => line.includes('"msg":"checkpoint completed"'));
      expect(completed.length).toBeGreaterThan(0);
      const counts = result.stdout.split("\n").filter((line) => line.startsWith("[")).map((line) => Number(/: (\d+)$/.exec(line)?.[1]));
      expect(counts.reduce((total, n) => total + n, 0)).toBe(4 * 3 * 1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
