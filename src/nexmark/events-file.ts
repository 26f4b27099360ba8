// Nexmark events as NDJSON: writing one timeline to a stream (`weir nexmark generate`) and reading
// a file back for the query jobs' `--events-file`. A line that is not an event fails the read with
// its line number: the file is the job's input configuration, so it is checked before the job runs.

import { once } from "node:events";
import { readFileSync } from "node:fs";
import type { Writable } from "node:stream";
import { NexmarkGenerator } from "./event-generator.ts";
import type { NexmarkConfig } from "./generator-config.ts";
import { nexmarkEventProblem, type NexmarkEvent } from "./model.ts";

/** Reads an NDJSON file of Nexmark events (blank lines allowed), checking every line. */
export function readEventsFile(path: string): NexmarkEvent[] {
  const events: NexmarkEvent[] = [];
  const lines = readFileSync(path, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`events file ${path}, line ${i + 1}: not JSON (${(error as Error).message})`);
    }
    const problem = nexmarkEventProblem(value);
    if (problem !== undefined) throw new Error(`events file ${path}, line ${i + 1}: not a Nexmark event: ${problem}`);
    events.push(value as NexmarkEvent);
  }
  return events;
}

const LINES_PER_WRITE = 512;

/** Writes the first `events` events of one timeline to `out` as NDJSON, honouring backpressure. */
export async function writeEventsNdjson(config: NexmarkConfig, events: number, out: Writable): Promise<void> {
  const timeline = new NexmarkGenerator(config, { firstEventId: 0, events });
  while (timeline.hasNext()) {
    let chunk = "";
    for (let i = 0; i < LINES_PER_WRITE && timeline.hasNext(); i++) chunk += `${JSON.stringify(timeline.next())}\n`;
    // events.once removes its listeners either way: a long write adds none per drain.
    if (!out.write(chunk)) await once(out, "drain");
  }
}
