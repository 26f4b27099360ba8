// The file sink's operator on the real file system, driven by hand on a simulated clock: a restore
// commits its checkpoint's pending parts (one already renamed is fine), removes the in-progress
// files written after it and numbers on; a part rolled by age stays hidden until the next barrier's
// checkpoint completes; a pending part that is gone fails the restore naming it.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fileSink } from "../../src/index.ts";
import type { FileSinkStateEntry } from "../../src/connectors/file-sink-ledger.ts";
import type { StreamOperator } from "../../src/operators/operator.ts";
import { HeapOperatorStateStore } from "../../src/state/operator-state.ts";
import { operatorTestContext } from "../../src/testing/operator-context.ts";

const STATE = "weir.file-sink.parts";

describe("the file sink's operator", () => {
  const root = mkdtempSync(join(tmpdir(), "weir-file-sink-op-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function open(dir: string, restored: FileSinkStateEntry[] | undefined, rolling = {}): Promise<{ operator: StreamOperator; advance: (ms: number) => void }> {
    const operator = fileSink<string>({ path: dir, format: "text", rolling }).createOperator();
    const base = operatorTestContext(operator);
    const operatorState = new HeapOperatorStateStore(restored ? [{ name: STATE, mode: "union", elements: restored }] : undefined);
    await operator.open({ ...base.ctx, operatorState, checkpointing: true, subtaskIndex: 0, parallelism: 1 });
    return { operator, advance: (ms) => base.clock.advanceTo(base.clock.now() + ms) };
  }

  const names = (dir: string): string[] => readdirSync(dir).sort();

  it("a restore commits the checkpoint's pending parts, removes later in-progress files and numbers on after them", async () => {
    const dir = join(root, "restore");
    mkdirSync(dir);
    writeFileSync(join(dir, "part-0-0"), "a\n");
    writeFileSync(join(dir, ".part-0-1.inprogress"), "b\n");
    writeFileSync(join(dir, "part-0-2"), "c\n");
    writeFileSync(join(dir, ".part-0-3.inprogress"), "replayed\n");
    writeFileSync(join(dir, "notes.txt"), "not the sink's\n");
    // Checkpoint 5 holds parts 1 and 2 as pending; part 2 was renamed before the failure, part 3 was written after the checkpoint.
    const { operator } = await open(dir, [{ index: 0, counters: [[0, 3]], pending: [{ checkpointId: 5, counters: [1, 2] }] }]);
    expect(names(dir)).toEqual(["notes.txt", "part-0-0", "part-0-1", "part-0-2"]);
    expect(readFileSync(join(dir, "part-0-1"), "utf8")).toBe("b\n");
    operator.process("d", 0);
    operator.snapshotState?.({ checkpointId: 6, checkpointTimestamp: 0 });
    expect(names(dir)).toEqual([".part-0-4.inprogress", "notes.txt", "part-0-0", "part-0-1", "part-0-2"]);
    operator.notifyCheckpointComplete?.(6);
    expect(readFileSync(join(dir, "part-0-4"), "utf8")).toBe("d\n");
    await operator.close();
  });

  it("a part rolled by age stays hidden until the checkpoint after it completes", async () => {
    const dir = join(root, "interval");
    const { operator, advance } = await open(dir, undefined, { intervalMs: 1_000 });
    operator.process("x", 0);
    await new Promise((resolve) => setImmediate(resolve));
    advance(1_000);
    operator.process("y", 0);
    expect(names(dir)).toEqual([".part-0-0.inprogress", ".part-0-1.inprogress"]);
    operator.snapshotState?.({ checkpointId: 1, checkpointTimestamp: 0 });
    expect(names(dir)).toEqual([".part-0-0.inprogress", ".part-0-1.inprogress"]);
    operator.notifyCheckpointComplete?.(1);
    expect(names(dir)).toEqual(["part-0-0", "part-0-1"]);
    expect([readFileSync(join(dir, "part-0-0"), "utf8"), readFileSync(join(dir, "part-0-1"), "utf8")]).toEqual(["x\n", "y\n"]);
    await operator.close();
  });

  it("a pending part that is gone under both names fails the restore, naming it", async () => {
    const dir = join(root, "gone");
    mkdirSync(dir);
    await expect(open(dir, [{ index: 0, counters: [[0, 1]], pending: [{ checkpointId: 2, counters: [0] }] }])).rejects.toThrow(
      `fileSink ${dir}: part file ${join(dir, "part-0-0")} is gone, and so is ${join(dir, ".part-0-0.inprogress")}; the checkpoint being restored lists it as pending`,
    );
  });
});
