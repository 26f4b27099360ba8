// The logs of a chaos run worth reading afterwards (one that did not finish, lost or duplicated,
// or saw a job manager exit on its own): every process's, written into a directory of their own.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A process of the run, by a name for its file, and what it logged so far. */
export interface LoggedProcess {
  name: string;
  logs(): string;
}

/** Writes `<name>.log` for each process (and `run.txt` with `summary`) into a fresh directory under the temporary one; returns it. */
export function keepLogs(processes: readonly LoggedProcess[], summary: string): string {
  const dir = mkdtempSync(join(tmpdir(), "weir-chaos-logs-"));
  for (const process of processes) writeFileSync(join(dir, `${process.name}.log`), process.logs());
  writeFileSync(join(dir, "run.txt"), `${summary}\n`);
  return dir;
}
