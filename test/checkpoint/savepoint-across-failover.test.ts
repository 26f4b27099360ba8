// A savepoint asked for while the job fails over: the failover ends the checkpoint coordinator and
// every savepoint in flight with it, unanswered (as a leading job manager's death does). The client
// follows the job's status while it waits and asks again once the job runs again, so the savepoint
// is taken, and the job's output stays exact (lost = 0, duplicated = 0, against the input).

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { StreamExecutionEnvironment } from "../../src/index.ts";
import { loadMetadata } from "../../src/checkpoint/checkpoint-reader.ts";
import { range, RunningCount, tally, totalsPerKey } from "../fixtures/running-counts.ts";
import { heldSource } from "./held-source.ts";

const dir = mkdtempSync(join(tmpdir(), "weir-savepoint-failover-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EVENTS = 1_000;
const KEYS = 5;

interface Switch {
  failNow: boolean;
  failed: number;
  done: boolean;
}

/** Throws on its first record once `failNow` is set, once over all copies and attempts. */
class FailWhenSwitched {
  private readonly sharedRef: () => Switch;
  constructor(shared: Switch) {
    this.sharedRef = () => shared;
  }
  map(value: number): number {
    const shared = this.sharedRef();
    if (shared.failNow && shared.failed === 0) {
      shared.failed += 1;
      throw new Error("injected failure while a savepoint is asked for");
    }
    return value;
  }
}

describe("a savepoint asked for while the job fails over", () => {
  it("is asked for again once the job runs again, and completes; the output is exact", async () => {
    const shared: Switch = { failNow: false, failed: 0, done: false };
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.enableCheckpointing(20);
    env.setRestartStrategy({ kind: "fixed-delay", attempts: 2, delayMs: 10 });
    // Half flows at once; the rest when the failure is due (and again only once the savepoint is taken).
    const out = env
      .fromSource(heldSource({ count: EVENTS, holdFrom: EVENTS / 2, release: () => (shared.failNow && shared.failed === 0) || shared.done, end: () => true }), "Numbers")
      .map(new FailWhenSwitched(shared))
      .keyBy((n) => n % KEYS)
      .process(new RunningCount())
      .collect();
    const client = await env.executeAsync("savepoint-across-failover");
    while (out.values.length < EVENTS / 2) await new Promise((resolve) => setTimeout(resolve, 5));

    const savepoint = client.triggerSavepoint(join(dir, "savepoints"));
    shared.failNow = true;
    const location = await savepoint;
    expect(shared.failed).toBe(1);
    expect(existsSync(join(fileURLToPath(location.startsWith("file:") ? location : `file://${location}`), "_metadata"))).toBe(true);
    expect((await loadMetadata(location)).kind).toBe("savepoint");

    shared.done = true;
    await client.result;
    expect(tally(out.values, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
    expect(out.values).toHaveLength(EVENTS);
  });
});
