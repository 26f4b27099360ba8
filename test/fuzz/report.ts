// What one fuzz run reports (one JSON line per target), and the process-level crash watch: an
// uncaught exception or unhandled rejection while a target runs counts as a crash.

export interface FuzzReport {
  target: "codec" | "in-process-actors" | "data-plane" | "live-cluster";
  seed: number;
  /** Fuzzed messages handed to the target (published, or decoded for the codec). */
  messages: number;
  /** Mutants that came out as a valid message for the subject they would go to: a command, not bad input; not sent. */
  skippedValid: number;
  /** Rejections counted by the receivers (weir_rejected_messages_total), by reason. */
  rejectedByReason: Record<string, number>;
  /** Exceptions the bus caught in handlers (weir_handler_exceptions_total). */
  handlerExceptions: number;
  /** Uncaught exceptions, unhandled rejections, decode throwing, processes that died. Must be 0. */
  crashes: number;
  /** Every job run during the target produced exactly its expected output. */
  outputExact: boolean;
  /** Jobs run while the messages flowed. */
  jobs: number;
  seconds: number;
}

/** Counts uncaught exceptions and unhandled rejections until stopped; the first few are kept. */
export function watchCrashes(): { count(): number; errors: unknown[]; stop(): void } {
  const errors: unknown[] = [];
  let count = 0;
  const onError = (error: unknown) => {
    count += 1;
    if (errors.length < 5) errors.push(error);
  };
  process.on("uncaughtException", onError);
  process.on("unhandledRejection", onError);
  return {
    count: () => count,
    errors,
    stop() {
      process.off("uncaughtException", onError);
      process.off("unhandledRejection", onError);
    },
  };
}

/** Sums a counter by one of its labels. */
export function byLabel(snapshot: { name: string; labels: Record<string, string>; value: number }[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const counter of snapshot) if (counter.name === name) out[counter.labels[label]] = (out[counter.labels[label]] ?? 0) + counter.value;
  return out;
}
