// `weir trace show` prints a recorded trace decoded and filtered; `weir trace replay` feeds one
// recorded control-plane actor its inbound messages again (the replay harness of weir/testing) and
// reports whether it publishes the same. Rendering lives in trace-format.ts.

import { existsSync, readFileSync } from "node:fs";
import { createActor } from "xstate";
import type { TraceEntry } from "../bus/trace.ts";
import { jobMasterMachine } from "../actors/job-master.ts";
import { dispatcherMachine } from "../actors/dispatcher.ts";
import { resourceManagerMachine } from "../actors/resource-manager.ts";
import type { ActorDeps } from "../actors/actor-deps.ts";
import { replayActor, type ReplayContext, type ReplayMismatch, type ReplayOptions } from "../testing/replay.ts";
import type { Message } from "../messages/schema.ts";
import { decode } from "../messages/codec.ts";
import { silentLogger } from "../observability/logger.ts";
import { MetricRegistry } from "../observability/metrics.ts";
import { firstTime, formatMessage, formatTraceLine, matchesFilter, parseTrace, safeJson, traceLineJson, type TimeFormat, type TraceFilter, type TraceLine } from "./trace-format.ts";

export interface TraceShowOptions {
  actor?: string;
  job?: string;
  subject?: string;
  type?: string[];
  json?: boolean;
  time?: TimeFormat;
}

function readTraceLines(file: string): TraceLine[] {
  if (!existsSync(file)) throw new Error(`trace file ${file} not found`);
  return parseTrace(readFileSync(file, "utf8"));
}

/** `--type a,b --type c` → ["a", "b", "c"]. */
export function typeList(values: readonly string[] | undefined): string[] | undefined {
  return values?.flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v.length > 0);
}

export async function traceShowCommand(file: string, options: TraceShowOptions): Promise<void> {
  const lines = readTraceLines(file);
  const first = firstTime(lines);
  const filter: TraceFilter = { actor: options.actor, job: options.job, subject: options.subject, types: typeList(options.type) };
  const out: string[] = [];
  for (const line of lines) {
    if (!matchesFilter(line, filter)) continue;
    out.push(options.json ? traceLineJson(line, first) : formatTraceLine(line, first, options.time ?? "offset"));
  }
  if (out.length > 0) process.stdout.write(`${out.join("\n")}\n`);
}

/** How to start a fresh instance of one recorded actor, or why it cannot be replayed from a trace. */
type ReplayPlan = Omit<ReplayOptions, "trace" | "actor"> | { unsupported: string };

const REPLAYABLE = "job-master/<jobId>, dispatcher and resource-manager";

function decoded(trace: readonly TraceEntry[]): { entry: TraceEntry; message: Message }[] {
  return trace.flatMap((entry) => {
    const outcome = decode(entry.data);
    return outcome.ok ? [{ entry, message: outcome.message }] : [];
  });
}

function deps({ bus, clock }: ReplayContext): ActorDeps {
  return { bus, clock, log: silentLogger(), metrics: new MetricRegistry() };
}

/** Decides how `actor` is started for replay, from what the trace holds. */
export function replayPlan(actor: string, trace: readonly TraceEntry[]): ReplayPlan {
  const messages = decoded(trace);
  const jobMaster = /^job-master\/(.+)$/.exec(actor);
  if (jobMaster) {
    const submission = messages.find(({ message }) => message.type === "submit-job" && message.jobId === jobMaster[1])?.message;
    if (submission?.type !== "submit-job") return { unsupported: `the trace holds no submit-job for job ${jobMaster[1]}, which its job master is started from` };
    return {
      ignoreFields: ["timestamp"],
      start: (ctx) => {
        const ref = createActor(jobMasterMachine, { input: { deps: deps(ctx), submission }, clock: ctx.clock }).start();
        return () => ref.stop();
      },
    };
  }
  if (actor === "dispatcher") {
    return {
      including: (name) => name.startsWith("job-master/"),
      ignoreFields: ["timestamp"],
      start: (ctx) => {
        const ref = createActor(dispatcherMachine, { input: { deps: deps(ctx) }, clock: ctx.clock }).start();
        return () => ref.stop();
      },
    };
  }
  if (actor === "resource-manager") {
    const welcome = messages.find(({ entry, message }) => entry.actor === "resource-manager" && message.type === "worker-registered")?.message;
    const heartbeatIntervalMs = welcome?.type === "worker-registered" ? welcome.heartbeatIntervalMs : undefined;
    return {
      start: (ctx) => {
        const ref = createActor(resourceManagerMachine, { input: { deps: deps(ctx), heartbeatIntervalMs }, clock: ctx.clock }).start();
        return () => ref.stop();
      },
    };
  }
  if (actor.startsWith("worker/") || actor.startsWith("subtask/")) {
    return { unsupported: `${actor} runs the job's own code, which a trace does not hold; replay it in a test with replayActor and createJobLoader (see docs/testing.md). From the command line: ${REPLAYABLE}` };
  }
  return { unsupported: `${actor} cannot be replayed; the command line replays ${REPLAYABLE}` };
}

/** A compared stream item (a message, a record, a batch end) in one line. */
export function formatStreamItem(item: unknown): string {
  if (item === undefined) return "(nothing)";
  if (typeof item === "object" && item !== null) {
    if ("type" in item && typeof item.type === "string") return formatMessage(item as Message);
    if ("record" in item) return `record ${safeJson(item.record)}`;
    if ("last" in item) return "last batch";
  }
  return safeJson(item);
}

/** The report of a replay that differed: how many mismatches, and the first in full. */
export function formatMismatch(actor: string, inbound: number, mismatches: readonly ReplayMismatch[]): string {
  const m = mismatches[0];
  return [
    `replay of ${actor} differs after ${inbound} messages: ${mismatches.length} mismatch(es); the first, message ${m.index + 1} on ${m.subject}:`,
    `  expected: ${formatStreamItem(m.expected)}`,
    `  actual:   ${formatStreamItem(m.actual)}`,
    "",
  ].join("\n");
}

export async function traceReplayCommand(file: string, options: { actor: string }): Promise<void> {
  const lines = readTraceLines(file);
  const broken = lines.find((l) => !l.ok);
  if (broken && !broken.ok) throw new Error(`${file}: line ${broken.line}: ${broken.error}; a trace to replay must be whole`);
  const trace = lines.flatMap((l) => (l.ok ? [l.entry] : []));
  if (!trace.some((e) => e.actor === options.actor)) {
    const actors = [...new Set(trace.map((e) => e.actor))].sort();
    throw new Error(`the trace has nothing from or to actor ${options.actor}; it holds ${actors.join(", ")}`);
  }
  const plan = replayPlan(options.actor, trace);
  if ("unsupported" in plan) throw new Error(`cannot replay ${options.actor}: ${plan.unsupported}`);
  const report = await replayActor({ ...plan, trace, actor: options.actor });
  if (report.mismatches.length === 0) {
    process.stdout.write(`replayed ${report.inbound} messages of ${options.actor}: identical\n`);
    return;
  }
  process.stdout.write(formatMismatch(options.actor, report.inbound, report.mismatches));
  process.exitCode = 1;
}
