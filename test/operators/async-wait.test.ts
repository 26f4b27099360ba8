// The async I/O operator driven by hand on a simulated clock, with requests the test completes
// itself: capacity (never more requests in flight than allowed, counted), blocking and waking the
// input, timeouts and retries, failures naming the operator, snapshot and re-issue, end of input.

import { describe, expect, it } from "vitest";
import { operatorTestContext } from "../../src/testing/operator-context.ts";
import { AsyncRequestError, AsyncTimeoutError, AsyncWaitOperator, type AsyncWaitSettings } from "../../src/operators/async-wait.ts";
import { HeapOperatorStateStore } from "../../src/state/operator-state.ts";
import type { OperatorContext } from "../../src/operators/operator.ts";

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An async function whose requests the test completes, counting how many are in flight at most. */
class Service {
  readonly calls: number[] = [];
  private readonly pending = new Map<number, { resolve: (v: string | string[]) => void; reject: (e: Error) => void }[]>();
  inFlight = 0;
  maxInFlight = 0;

  readonly fn = (n: number): Promise<string | string[]> => {
    this.calls.push(n);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((resolve, reject) => {
      const list = this.pending.get(n) ?? [];
      list.push({
        resolve: (v) => {
          this.inFlight--;
          resolve(v);
        },
        reject: (e) => {
          this.inFlight--;
          reject(e);
        },
      });
      this.pending.set(n, list);
    });
  };

  resolve(n: number, value: string | string[] = `r${n}`): void {
    this.pending.get(n)!.shift()!.resolve(value);
  }
  reject(n: number, error: Error): void {
    this.pending.get(n)!.shift()!.reject(error);
  }
  isPending(n: number): boolean {
    return (this.pending.get(n)?.length ?? 0) > 0;
  }
}

function settings(overrides: Partial<AsyncWaitSettings<number, string>> = {}): AsyncWaitSettings<number, string> {
  return { mode: "ordered", timeoutMs: 100, capacity: 10, retries: 0, retryDelayMs: 10, retryBackoff: 1, ...overrides };
}

async function harness(service: Service, overrides: Partial<AsyncWaitSettings<number, string>> = {}, operatorState = new HeapOperatorStateStore()) {
  const operator = new AsyncWaitOperator<number, string>(service.fn, settings(overrides), () => "Lookup");
  const failures: Error[] = [];
  let wakes = 0;
  const test = operatorTestContext(operator, { wakeInput: () => wakes++ });
  const ctx: OperatorContext = { ...test.ctx, operatorState, fail: (error) => failures.push(error) };
  await operator.open(ctx);
  operator.start();
  const values = () => test.emitted.map((e) => (e.kind === "watermark" ? `w${e.timestamp}` : (e.value as string)));
  return { operator, failures, values, clock: test.clock, emitted: test.emitted, timestamp: test.timestamp, operatorState, wakes: () => wakes, metrics: test.metrics };
}

describe("async wait operator", () => {
  it("never has more than `capacity` requests in flight: the rest wait, the input is blocked, and a completion wakes it", async () => {
    const service = new Service();
    const { operator, values, wakes } = await harness(service, { capacity: 3 });
    // One frame's worth of records arrives at once.
    for (let n = 0; n < 10; n++) operator.process(n);
    expect(service.calls).toEqual([0, 1, 2]);
    expect(operator.isBlocked()).toBe(true);
    service.resolve(1);
    await settle();
    // Ordered: r1 waits for r0, so the queue is still full and nothing more is sent.
    expect(service.calls).toEqual([0, 1, 2]);
    service.resolve(0);
    await settle();
    expect(values()).toEqual(["r0", "r1"]);
    expect(service.calls).toEqual([0, 1, 2, 3, 4]);
    expect(wakes()).toBeGreaterThan(0);
    for (let n = 2; n < 10; n++) {
      service.resolve(n);
      await settle();
    }
    expect(values()).toEqual(Array.from({ length: 10 }, (_, n) => `r${n}`));
    expect(service.maxInFlight).toBe(3);
    expect(operator.isBlocked()).toBe(false);
  });

  it("a watermark that arrives while records wait for room stays behind them", async () => {
    const service = new Service();
    const { operator, values } = await harness(service, { capacity: 1, mode: "unordered" });
    operator.process(0);
    operator.process(1);
    operator.onWatermark(7);
    operator.process(2);
    service.resolve(0);
    await settle();
    service.resolve(1);
    await settle();
    service.resolve(2);
    await settle();
    expect(values()).toEqual(["r0", "r1", "w7", "r2"]);
  });

  it("results carry their record's event time; an array result is many records", async () => {
    const service = new Service();
    const { operator, emitted, timestamp } = await harness(service, { mode: "unordered" });
    timestamp.value = 1000;
    operator.process(1);
    timestamp.value = 2000;
    operator.process(2);
    service.resolve(2, ["x", "y"]);
    service.resolve(1, []);
    await settle();
    expect(emitted).toEqual([
      { kind: "record", value: "x", timestamp: 2000 },
      { kind: "record", value: "y", timestamp: 2000 },
    ]);
  });

  it("retries a timed-out request after a backing-off delay, and ignores the late result of the abandoned attempt", async () => {
    const service = new Service();
    const { operator, values, clock, failures, metrics } = await harness(service, { timeoutMs: 100, retries: 2, retryDelayMs: 10, retryBackoff: 3 });
    operator.process(5);
    clock.advanceBy(100); // first attempt times out; retry in 10
    expect(service.calls).toEqual([5]);
    clock.advanceBy(10);
    expect(service.calls).toEqual([5, 5]);
    service.resolve(5, "late"); // the first attempt's answer: no longer counts
    await settle();
    expect(values()).toEqual([]);
    clock.advanceBy(100); // second attempt times out; retry in 30
    clock.advanceBy(29);
    expect(service.calls).toEqual([5, 5]);
    clock.advanceBy(1);
    expect(service.calls).toEqual([5, 5, 5]);
    service.resolve(5, "late too"); // the second attempt's
    await settle();
    expect(values()).toEqual([]);
    service.resolve(5, "third");
    await settle();
    expect(values()).toEqual(["third"]);
    expect(failures).toEqual([]);
    expect(metrics.sum("weir_async_retries_total")).toBe(2);
    expect(metrics.sum("weir_async_timeouts_total")).toBe(0);
  });

  it("a timeout after the last retry fails the subtask with an error naming the operator", async () => {
    const service = new Service();
    const { operator, clock, failures } = await harness(service, { timeoutMs: 50, retries: 1, retryDelayMs: 5 });
    operator.process(1);
    clock.advanceBy(50);
    clock.advanceBy(5);
    expect(failures).toEqual([]);
    clock.advanceBy(50);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(AsyncTimeoutError);
    expect(failures[0].message).toContain("Lookup (task, subtask 0)");
    expect(failures[0].message).toContain("timed out after 50 ms (2 attempts)");
  });

  it("an onTimeout handler emits in place of the timed-out record, in order", async () => {
    const service = new Service();
    const { operator, values, clock, failures, metrics } = await harness(service, { timeoutMs: 50, onTimeout: (n) => [`timeout ${n}`] });
    operator.process(1);
    operator.process(2);
    service.resolve(2);
    await settle();
    clock.advanceBy(50);
    expect(values()).toEqual(["timeout 1", "r2"]);
    expect(failures).toEqual([]);
    expect(metrics.sum("weir_async_timeouts_total")).toBe(1);
  });

  it("a rejected request is retried; after the last retry the error names the operator and keeps the cause", async () => {
    const service = new Service();
    const { operator, values, clock, failures } = await harness(service, { retries: 1, retryDelayMs: 20 });
    operator.process(1);
    operator.process(2);
    service.reject(1, new Error("connection reset"));
    await settle();
    clock.advanceBy(20);
    expect(service.calls).toEqual([1, 2, 1]);
    service.resolve(1);
    service.resolve(2);
    await settle();
    expect(values()).toEqual(["r1", "r2"]);
    operator.process(3);
    service.reject(3, new Error("no such customer"));
    await settle();
    clock.advanceBy(20);
    service.reject(3, new Error("no such customer"));
    await settle();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(AsyncRequestError);
    expect(failures[0].message).toBe("Lookup (task, subtask 0): an async request failed (2 attempts): no such customer");
    expect((failures[0] as Error & { cause: Error }).cause.message).toBe("no such customer");
  });

  it("a snapshot holds every record not yet emitted (in flight, completed behind one, waiting for room); a restore asks for them again, first", async () => {
    const service = new Service();
    const first = await harness(service, { capacity: 2 });
    first.timestamp.value = 10;
    for (let n = 0; n < 4; n++) first.operator.process(n);
    service.resolve(1);
    await settle();
    first.operator.snapshotState();
    const stored = first.operatorState.snapshot();
    // The old attempt's answers, after the snapshot, change nothing in the restored one.
    await first.operator.close();

    const again = new Service();
    const second = await harness(again, { capacity: 2 }, new HeapOperatorStateStore(stored));
    expect(again.calls).toEqual([0, 1]);
    second.timestamp.value = 99;
    second.operator.process(4);
    for (let n = 0; n < 5; n++) {
      again.resolve(n);
      await settle();
    }
    expect(again.calls).toEqual([0, 1, 2, 3, 4]);
    expect(second.emitted.map((e) => e.kind === "record" && [e.value, e.timestamp])).toEqual([
      ["r0", 10],
      ["r1", 10],
      ["r2", 10],
      ["r3", 10],
      ["r4", 99],
    ]);
  });

  it("a function that returns no promise fails the subtask with an error saying so", async () => {
    const broken = new AsyncWaitOperator<number, string>(((n: number) => `sync ${n}`) as unknown as (n: number) => Promise<string>, settings(), () => "Lookup");
    const test = operatorTestContext(broken);
    const errors: Error[] = [];
    await broken.open({ ...test.ctx, fail: (error) => errors.push(error) });
    broken.process(1);
    expect(errors.map((e) => e.message)).toEqual(["Lookup (task, subtask 0): the async function returned string, not a promise: make it async, or return a promise"]);
  });

  it("finish() settles only once every request has completed and its results have left", async () => {
    const service = new Service();
    const { operator, values } = await harness(service);
    operator.process(1);
    operator.process(2);
    let finished = false;
    const finishing = Promise.resolve(operator.finish()).then(() => (finished = true));
    service.resolve(2);
    await settle();
    expect(finished).toBe(false);
    service.resolve(1);
    await finishing;
    expect(values()).toEqual(["r1", "r2"]);
  });
});
