// Where a job's checkpoints sit inside a store (a directory or a bucket), shared by both:
// `<jobId>/chk-<id>/<name>.state`, `<jobId>/chk-<id>/_metadata` and `<jobId>/_latest`.
// Pure: receives ids and names, returns blob names; refuses names that could escape their folder.

/** The blob name of a job's `_metadata` record for checkpoint `checkpointId`. */
export function metadataName(jobId: string, checkpointId: number): string {
  return `${checkpointFolder(jobId, checkpointId)}/_metadata`;
}

/** The blob name of one subtask's state, e.g. `job-1/chk-3/map-0.state`. */
export function stateName(jobId: string, checkpointId: number, name: string): string {
  return `${checkpointFolder(jobId, checkpointId)}/${stateFileName(name)}`;
}

/** The file name of one subtask's state inside a checkpoint folder or savepoint directory: `<name>.state`. */
export function stateFileName(name: string): string {
  return `${segment(name, "state name")}.state`;
}

/** The folder of one checkpoint, without a trailing slash: `job-1/chk-3`. */
export function checkpointFolder(jobId: string, checkpointId: number): string {
  if (!Number.isSafeInteger(checkpointId) || checkpointId < 0) throw new Error(`checkpoint id ${checkpointId} is not a non-negative integer`);
  return `${jobFolder(jobId)}/chk-${checkpointId}`;
}

/** The blob name of the job's `_latest` marker (the highest committed id and its epoch). */
export function latestMarkerName(jobId: string): string {
  return `${jobFolder(jobId)}/_latest`;
}

/** The job's folder, without a trailing slash. */
export function jobFolder(jobId: string): string {
  return segment(jobId, "job id");
}

/**
 * The checkpoint ids that have a folder among `names` (blob names under the job's folder),
 * highest first.
 * @example
 * checkpointIdsIn("job-1", ["job-1/chk-2/_metadata", "job-1/chk-10/a.state", "job-1/_latest"]); // [10, 2]
 */
export function checkpointIdsIn(jobId: string, names: readonly string[]): number[] {
  const prefix = `${jobFolder(jobId)}/chk-`;
  const ids = new Set<number>();
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)\//.exec(name.slice(prefix.length));
    if (match) ids.add(Number(match[1]));
  }
  return [...ids].sort((a, b) => b - a);
}

/** One path segment: no separators, not `.` or `..`, so a name never leaves its folder. */
function segment(value: string, what: string): string {
  if (value === "" || value === "." || value === ".." || /[/\\\0]/.test(value)) {
    throw new Error(`${what} ${JSON.stringify(value)} cannot name a checkpoint file: use letters, digits, '.', '-' and '_'`);
  }
  return value;
}
