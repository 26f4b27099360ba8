// Failures that no restart can cure. A subtask that fails with one reports it so, and its job
// fails at once instead of restarting (Flink's SuppressRestartsException): a stream, bucket or
// table that does not exist, a setting the target refuses.

/**
 * Throw from a source, sink or function when retrying cannot help: the job fails at once, with
 * this message, whatever its restart strategy.
 * @example
 * if (!(await tableExists(name))) throw new UnrecoverableError(`mySink: table ${name} does not exist`);
 */
export class UnrecoverableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnrecoverableError";
  }
}

/** True for an UnrecoverableError, also one that crossed a module boundary (compared by name). */
export function isUnrecoverable(error: unknown): boolean {
  return error instanceof Error && (error instanceof UnrecoverableError || error.name === "UnrecoverableError");
}
