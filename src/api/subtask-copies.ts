// Per-subtask copies of user function objects: every parallel subtask and every restart gets its
// own deep copy, made from a template taken when the job is defined.

import { deepCopy, UncopyableValueError } from "./deep-copy.ts";
import { constructorName } from "./uncopyable-values.ts";

/** Thrown when the job is defined: a function object holds something that cannot be copied per subtask. */
export class UncopyableFunctionError extends Error {
  constructor(
    readonly where: string,
    /** Where the value is, from the function object: `Sink.socket`, `Dedupe.seen.get("a")`. */
    readonly field: string,
    what: string,
  ) {
    super(
      `${where}: ${field} holds ${what}, which cannot be copied. Every parallel subtask, and every restart, ` +
        "gets its own deep copy of a function object: create this in open() (and release it in close()) instead of in the constructor or a field initializer",
    );
    this.name = "UncopyableFunctionError";
  }
}

/**
 * Makes fresh copies of a user function, one per call: each operator factory calls it, and the
 * factory runs once per subtask and per attempt, so no field is shared between parallel subtasks
 * or between a failed attempt and the next (Flink gets this from serialization). Called when the
 * job is defined: it copies `fn` once, as the template of every later copy, and throws an
 * UncopyableFunctionError at once when that is impossible. A plain function is not copied: what
 * its closure captures is shared.
 * @example
 * const copies = subtaskCopies(fn, "map()");
 * graph.addNode({ createOperator: () => new MapOperator(copies()) });
 */
export function subtaskCopies<F>(fn: F, where: string): () => F {
  if (typeof fn !== "object" || fn === null) return () => fn;
  const name = constructorName(fn);
  const label = name === "Object" ? "the function object" : name;
  let template: F;
  try {
    template = deepCopy(fn, label);
  } catch (error) {
    if (error instanceof UncopyableValueError) throw new UncopyableFunctionError(where, error.path, error.what);
    throw error;
  }
  return () => deepCopy(template, label);
}
