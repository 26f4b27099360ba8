// The split enumerator actor, embedded: a bounded source ends once every reader was told there are
// no more splits; an enumerator that throws, or that sends to a reader the source does not have,
// fails the job with an error naming the source and what to change; a reader that cannot take the
// splits it is sent says which method it lacks.

import { describe, expect, it } from "vitest";
import { JobExecutionError, StreamExecutionEnvironment, type Source, type SplitEnumerator, type SplitEnumeratorContext } from "../../src/index.ts";

/** A source of one number per split, whose enumerator's request handling is `onRequest`. */
function sourceWith(onRequest: (ctx: SplitEnumeratorContext, subtask: number) => void, reader: "complete" | "without addSplits" = "complete"): Source<number> {
  return {
    parallel: true,
    createEnumerator: (ctx): SplitEnumerator => ({
      start: () => undefined,
      addReader: () => undefined,
      addSplitsBack: () => undefined,
      handleSplitRequest: (subtask) => onRequest(ctx, subtask),
      snapshotState: () => null,
    }),
    createReader: (ctx) => {
      const splits: number[] = [];
      let done = false;
      let asked = false;
      return {
        pollNext(output) {
          const next = splits.shift();
          if (next !== undefined) output.collect(next);
          else if (done) return "end";
          else if (!asked) {
            asked = true;
            ctx.sendSplitRequest?.();
          }
          return "nothing";
        },
        ...(reader === "complete"
          ? {
              addSplits: (s: unknown[]) => {
                splits.push(...(s as number[]));
                asked = false;
              },
            }
          : {}),
        notifyNoMoreSplits: () => void (done = true),
      };
    },
  };
}

async function failureOf(source: Source<number>): Promise<string> {
  const env = new StreamExecutionEnvironment({ parallelism: 2 });
  env.fromSource(source, "Numbers").addSink(() => undefined);
  const error = await env.execute("enumerator-failure").then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JobExecutionError);
  return (error as Error).message;
}

describe("the split enumerator actor", () => {
  it("ends a job whose readers were all told there are no more splits", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    let next = 0;
    const out = env.fromSource(sourceWith((ctx, subtask) => (next < 5 ? ctx.assignSplits(subtask, [next++]) : ctx.signalNoMoreSplits(subtask))), "Numbers").collect();
    await env.execute("enumerated");
    expect([...out.values].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("fails the job when the enumerator throws, naming the source", async () => {
    const message = await failureOf(
      sourceWith(() => {
        throw new Error("the catalog is unreachable");
      }),
    );
    expect(message).toContain("the split enumerator of v1 failed: Error: the catalog is unreachable");
  });

  it("fails the job when the enumerator sends to a reader the source does not have, saying which it has", async () => {
    const message = await failureOf(sourceWith((ctx, subtask) => ctx.assignSplits(1 - subtask + 5, [1])));
    expect(message).toMatch(/assignSplits\(\d\): there is no reader \d \(the source runs 2 readers: 0\.\.1\)/);
  });

  it("fails the reader whose source cannot take the splits it is sent, naming the missing method", async () => {
    const message = await failureOf(sourceWith((ctx, subtask) => ctx.assignSplits(subtask, [1]), "without addSplits"));
    expect(message).toContain("the source has a split enumerator, so its reader must implement addSplits()");
  });
});
