// The keyed shuffle of benchmark cases (b) and (c): a parallel generator of bids → keyBy(bidder)
// → a rolling reduce per bidder → a sink that counts and discards. With --report <dir> each
// sink subtask writes its count and first/last record times there when it closes, so the
// benchmark can check that every record arrived and see the data plane's own duration.
//
//   weir run bench/jobs/keyed-shuffle.ts --nats <url> -- --count 4000000 --parallelism 2 --report /tmp/r

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { defineJob, type RuntimeContext } from "../../src/index.ts";
import { addBids, bidderOf, makeBid, type Bid } from "../records.ts";

/** What one sink subtask writes to `<report>/sink-<subtask>.json`. */
export interface SinkReport {
  subtask: number;
  count: number;
  /** Wall-clock ms of the first record this subtask received, and of its close. */
  firstAt: number;
  closedAt: number;
}

/** Counts records and drops them; reports once, at close. One copy per subtask. */
class CountingDiscardSink {
  private count = 0;
  private firstAt = 0;
  private subtask = 0;

  constructor(private readonly reportDir: string | undefined) {}

  open(ctx: RuntimeContext): void {
    this.subtask = ctx.subtaskIndex;
  }

  invoke(_bid: Bid): void {
    if (this.count++ === 0) this.firstAt = Date.now();
  }

  close(): void {
    if (!this.reportDir) return;
    const report: SinkReport = { subtask: this.subtask, count: this.count, firstAt: this.firstAt, closedAt: Date.now() };
    writeFileSync(join(this.reportDir, `sink-${this.subtask}.json`), JSON.stringify(report));
  }
}

export default defineJob((env, args) => {
  const { values } = parseArgs({ args, options: { count: { type: "string" }, parallelism: { type: "string" }, report: { type: "string" } } });
  const count = Number(values.count ?? 1_000_000);
  const parallelism = Number(values.parallelism ?? 2);
  if (!Number.isSafeInteger(count) || count < 1) throw new Error(`--count expects a positive integer, got ${values.count}`);
  env.setParallelism(parallelism);
  env
    .fromGenerator(makeBid, { count })
    .name("bids")
    .keyBy(bidderOf)
    .reduce(addBids)
    .name("total-per-bidder")
    .addSink(new CountingDiscardSink(values.report ? env.resolvePath(values.report) : undefined))
    .name("count-and-discard");
});
