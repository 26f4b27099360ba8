// `npm run fuzz`: the fuzzing harness at full size. Runs each target (codec, in-process actors,
// data plane, live cluster over NATS) with a fixed seed and prints one JSON line per target:
// messages sent, valid mutants skipped, rejections by reason, handler exceptions caught, crashes
// (must be 0) and whether every job's output stayed exact. The first line describes the machine.
// Exits non-zero if any target crashed or lost exactness.
//
//   npm run fuzz                                      1,000,000 messages per target
//   npm run fuzz -- --messages 20000 --targets codec,live
//   npm run fuzz -- --live-messages 200000            fewer for the live cluster only

import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { fuzzCodec } from "../test/fuzz/codec-target.ts";
import { fuzzInProcess } from "../test/fuzz/in-process-target.ts";
import { fuzzLiveCluster } from "../test/fuzz/live-target.ts";
import type { FuzzReport } from "../test/fuzz/report.ts";

const TARGETS = ["codec", "actors", "data-plane", "live"] as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== "--"),
    options: { messages: { type: "string", default: "1000000" }, "live-messages": { type: "string" }, seed: { type: "string", default: "20261202" }, targets: { type: "string", default: TARGETS.join(",") } },
  });
  const messages = Number(values.messages);
  const liveMessages = Number(values["live-messages"] ?? messages);
  const seed = Number(values.seed);
  const targets = values.targets.split(",");
  const unknown = targets.filter((t) => !TARGETS.includes(t as never));
  if (unknown.length > 0) throw new Error(`unknown target(s) ${unknown.join(", ")}; the targets are ${TARGETS.join(", ")}`);
  console.log(JSON.stringify({ machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg().map((l) => Math.round(l * 100) / 100), node: process.version }, seed, messages, liveMessages }));
  let failed = false;
  const print = (report: FuzzReport & { firstErrors?: string[] }) => {
    const perSecond = report.seconds > 0 ? Math.round(report.messages / report.seconds) : undefined;
    console.log(JSON.stringify({ ...report, messagesPerSecond: perSecond, loadavgAfter: loadavg().map((l) => Math.round(l * 100) / 100) }));
    failed ||= report.crashes > 0 || !report.outputExact;
  };
  for (const target of targets) {
    process.stderr.write(`fuzz: ${target}\n`);
    if (target === "codec") {
      const { report, failures } = fuzzCodec(seed, messages);
      for (const failure of failures) process.stderr.write(`codec failure: ${JSON.stringify(failure)}\n`);
      print(report);
    } else if (target === "actors" || target === "data-plane") {
      print(await fuzzInProcess({ mode: target, seed: seed + 1, messages, recordsPerJob: 20_000, ratePerSecond: 4000 }));
    } else {
      print(await fuzzLiveCluster({ seed: seed + 2, messages: liveMessages, linesPerJob: 40_000 }));
    }
  }
  process.exit(failed ? 1 : 0);
}

main().catch((error: unknown) => {
  process.stderr.write(`fuzz: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(2);
});
