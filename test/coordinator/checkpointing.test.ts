// The checkpoint coordinator's pure parts: acknowledgements with explicit outcomes, when to
// trigger, failure tolerance and timeouts, and restart strategies.

import { describe, expect, it } from "vitest";
import { PendingCheckpoint } from "../../src/coordinator/pending-checkpoint.ts";
import { checkConfig, completed, decideTrigger, failed, initialPlannerState, timedOut, type CheckpointConfig, type PlannerState } from "../../src/coordinator/checkpoint-planner.ts";
import { checkRestartStrategy, decideRestart, type RestartStrategyConfig } from "../../src/coordinator/restart-strategy.ts";

describe("a pending checkpoint", () => {
  it("answers each acknowledgement with success, duplicate, unknown or discarded", () => {
    const pending = new PendingCheckpoint<string>(7, 1000, ["a", "b"]);
    expect(pending.acknowledge("a", "handle-a")).toBe("success");
    expect(pending.acknowledge("a", "again")).toBe("duplicate");
    expect(pending.acknowledge("zz", "?")).toBe("unknown");
    expect(pending.isFullyAcknowledged).toBe(false);
    expect(pending.outstanding).toEqual(["b"]);
    expect(pending.acknowledge("b", "handle-b")).toBe("success");
    expect(pending.isFullyAcknowledged).toBe(true);
    expect([...pending.complete()]).toEqual([
      ["a", "handle-a"],
      ["b", "handle-b"],
    ]);
    expect(pending.acknowledge("b", "late")).toBe("discarded");
  });

  it("once aborted, discards further acknowledgements and hands back what it had for cleanup", () => {
    const pending = new PendingCheckpoint<string>(1, 0, ["a", "b"]);
    pending.acknowledge("a", "h");
    expect([...pending.abort("timeout")]).toEqual([["a", "h"]]);
    expect(pending.status).toBe("aborted");
    expect(pending.abortReason).toBe("timeout");
    expect(pending.acknowledge("b", "h2")).toBe("discarded");
    expect(() => pending.complete()).toThrow(/still waits/);
  });
});

const config: CheckpointConfig = { intervalMs: 100, timeoutMs: 1000, minPauseMs: 0, maxConcurrent: 1, tolerableFailures: 1 };

/** Runs a trace of ("tick", t) | ("done", id, t) | ("fail", id, t) and returns what happened, in order. */
function plan(cfg: CheckpointConfig, trace: (["tick", number] | ["done", number, number] | ["fail", number, number])[]): string[] {
  let state: PlannerState = initialPlannerState;
  const log: string[] = [];
  for (const step of trace) {
    if (step[0] === "tick") {
      const d = decideTrigger(cfg, state, step[1]);
      if (d.trigger) {
        state = d.state;
        log.push(`trigger ${d.checkpointId}@${step[1]}`);
      } else log.push(`wait until ${d.retryAt}`);
    } else if (step[0] === "done") {
      state = completed(state, step[1], step[2]);
      log.push(`completed ${step[1]}`);
    } else {
      const d = failed(cfg, state, step[1], step[2], "declined");
      state = d.state;
      log.push(d.failJob ? `fail job: ${d.reason}` : `failed ${step[1]}`);
    }
  }
  return log;
}

describe("the checkpoint planner", () => {
  it("triggers every interval, one at a time", () => {
    expect(plan(config, [["tick", 0], ["tick", 100], ["done", 1, 150], ["tick", 150], ["tick", 200]])).toEqual([
      "trigger 1@0",
      "wait until 200",
      "completed 1",
      "trigger 2@150",
      "wait until 300",
    ]);
  });

  it("waits the minimum pause after a checkpoint ends", () => {
    expect(plan({ ...config, minPauseMs: 300 }, [["tick", 0], ["done", 1, 50], ["tick", 100], ["tick", 350]])).toEqual(["trigger 1@0", "completed 1", "wait until 350", "trigger 2@350"]);
  });

  it("allows several in flight up to maxConcurrent", () => {
    expect(plan({ ...config, maxConcurrent: 2 }, [["tick", 0], ["tick", 100], ["tick", 200]])).toEqual(["trigger 1@0", "trigger 2@100", "wait until 300"]);
  });

  it("tolerates the configured number of failures in a row, and fails the job on one more", () => {
    const log = plan(config, [["tick", 0], ["fail", 1, 10], ["tick", 100], ["fail", 2, 110]]);
    expect(log.slice(0, 3)).toEqual(["trigger 1@0", "failed 1", "trigger 2@100"]);
    expect(log[3]).toMatch(/^fail job: 2 checkpoint\(s\) failed in a row \(tolerable: 1\)/);
  });

  it("a completed checkpoint resets the failure count", () => {
    const log = plan(config, [["tick", 0], ["fail", 1, 10], ["tick", 100], ["done", 2, 110], ["tick", 200], ["fail", 3, 210]]);
    expect(log).toEqual(["trigger 1@0", "failed 1", "trigger 2@100", "completed 2", "trigger 3@200", "failed 3"]);
  });

  it("reports checkpoints in flight past the timeout", () => {
    let state = initialPlannerState;
    const d = decideTrigger({ ...config, maxConcurrent: 2 }, state, 0);
    if (!d.trigger) throw new Error("expected a trigger");
    state = d.state;
    expect(timedOut(config, state, 999)).toEqual([]);
    expect(timedOut(config, state, 1000)).toEqual([1]);
  });

  it("refuses a bad configuration with what to change", () => {
    expect(() => checkConfig({ ...config, intervalMs: 0 })).toThrow(/interval 0 ms \(use at least 10 ms\)/);
    expect(() => checkConfig({ ...config, maxConcurrent: 0, tolerableFailures: -1 })).toThrow(/max concurrent 0.*tolerable failures -1/);
  });
});

describe("restart strategies", () => {
  const at = (...failures: number[]) => ({ failures });
  it("none never restarts", () => {
    expect(decideRestart({ kind: "none" }, at(0), 0)).toEqual({ restart: false, reason: "the restart strategy is none" });
  });

  it("fixed-delay restarts up to its attempts, after its delay", () => {
    const fixed: RestartStrategyConfig = { kind: "fixed-delay", attempts: 2, delayMs: 500 };
    expect(decideRestart(fixed, at(0), 0)).toEqual({ restart: true, delayMs: 500 });
    expect(decideRestart(fixed, at(0, 10), 10)).toEqual({ restart: true, delayMs: 500 });
    expect(decideRestart(fixed, at(0, 10, 20), 20)).toMatchObject({ restart: false });
  });

  it("failure-rate gives up only when too many failures fall within the interval", () => {
    const rate: RestartStrategyConfig = { kind: "failure-rate", maxFailuresPerInterval: 2, intervalMs: 1000, delayMs: 100 };
    expect(decideRestart(rate, at(0, 500), 500).restart).toBe(true);
    expect(decideRestart(rate, at(0, 500, 900), 900).restart).toBe(false);
    expect(decideRestart(rate, at(0, 500, 1600), 1600).restart).toBe(true);
  });

  it("exponential-delay doubles its backoff up to the maximum, and starts over after a quiet run", () => {
    const exp: RestartStrategyConfig = { kind: "exponential-delay", initialBackoffMs: 100, maxBackoffMs: 1000, multiplier: 2, resetBackoffThresholdMs: 10_000 };
    expect(decideRestart(exp, at(0), 0)).toEqual({ restart: true, delayMs: 100 });
    expect(decideRestart(exp, at(0, 1), 1)).toEqual({ restart: true, delayMs: 200 });
    expect(decideRestart(exp, at(0, 1, 2, 3, 4, 5), 5)).toEqual({ restart: true, delayMs: 1000 });
    expect(decideRestart(exp, at(0, 1, 2, 50_000), 50_000)).toEqual({ restart: true, delayMs: 100 });
  });

  it("rejects a bad configuration", () => {
    expect(() => checkRestartStrategy({ kind: "fixed-delay", attempts: -1, delayMs: 0 })).toThrow(/attempts -1/);
    expect(() => checkRestartStrategy({ kind: "exponential-delay", initialBackoffMs: 100, maxBackoffMs: 50, multiplier: 2, resetBackoffThresholdMs: 1 })).toThrow(/max backoff/);
  });
});
