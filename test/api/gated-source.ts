// A non-parallel test source that emits its records at once and then stays open until the test
// opens the gate. Processing-time timers pending at the end of input are dropped (as in Flink),
// so a job whose output comes from timers must keep its source open until they have fired.
// The gate is an in-process promise: this only works on the embedded cluster.

import type { Source } from "../../src/index.ts";

export interface GatedSource<T> {
  source: Source<T>;
  /** Lets the source end. */
  open(): void;
}

/** `safetyMs` opens the gate anyway, so a missing timer fails an assertion instead of hanging the test. */
export function gatedSource<T>(records: readonly T[], safetyMs = 10_000): GatedSource<T> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const safety = setTimeout(release, safetyMs);
  let opened = false;
  gate.then(() => {
    opened = true;
    clearTimeout(safety);
  });
  const source: Source<T> = {
    parallel: false,
    createReader: () => {
      let emitted = false;
      return {
        pollNext(output) {
          if (!emitted) {
            // All records in one call: they travel in one frame and reach the next operator in one turn.
            for (const record of records) output.collect(record);
            emitted = true;
          }
          return opened ? "end" : "nothing";
        },
        available: () => gate,
      };
    },
  };
  return { source, open: () => release() };
}
