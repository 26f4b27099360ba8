// Asking a running job's checkpoint coordinator for a savepoint over the bus: what `weir savepoint`,
// `weir stop` and a rescale (the job master asks its own coordinator) share.

import { randomBytes } from "node:crypto";
import { isAbsolute, join } from "node:path";
import { NoRespondersError, type Bus } from "../bus/bus.ts";
import { subjects } from "../bus/subjects.ts";
import { decode, encode } from "../messages/codec.ts";

/** A new folder for one savepoint under `dir` (Flink's savepoint-<job>-<random>). */
export function savepointFolder(dir: string, jobId: string): string {
  if (!isAbsolute(dir)) throw new Error(`savepoint directory ${JSON.stringify(dir)} must be absolute (every worker writes into it)`);
  return join(dir, `savepoint-${jobId.slice(0, 6)}-${randomBytes(6).toString("hex")}`);
}

/** A savepoint request's outcome: where the savepoint is, or nobody served the request (no running job). */
export type SavepointAnswer = { kind: "location"; location: string } | { kind: "no-responders" };

/**
 * Sends one savepoint request for the folder `target` and waits for its answer; a failed savepoint
 * or a reply that does not decode is thrown.
 */
export async function askForSavepoint(bus: Bus, jobId: string, target: string, stop: "drain" | "terminate" | undefined, timeoutMs: number): Promise<SavepointAnswer> {
  let bytes: Uint8Array;
  try {
    bytes = await bus.request(subjects.savepoint(jobId), encode({ type: "trigger-savepoint", jobId, dir: target, stop }), { timeoutMs });
  } catch (error) {
    if (error instanceof NoRespondersError) return { kind: "no-responders" };
    throw error;
  }
  const reply = decode(bytes, ["savepoint-reply"]);
  if (!reply.ok) throw new Error(`bad savepoint reply: ${reply.detail}`);
  if (reply.message.error || !reply.message.location) throw new Error(reply.message.error ?? "the savepoint failed");
  return { kind: "location", location: reply.message.location };
}

/**
 * Asks a running job's checkpoint coordinator for a savepoint under `dir` (optionally stopping the
 * job) and resolves with its location.
 */
export async function requestSavepoint(bus: Bus, jobId: string, dir: string, stop?: "drain" | "terminate", timeoutMs = 10 * 60_000): Promise<string> {
  const answer = await askForSavepoint(bus, jobId, savepointFolder(dir, jobId), stop, timeoutMs);
  if (answer.kind === "no-responders") throw new Error(`job ${jobId} is not running (no checkpoint coordinator answered): a savepoint needs a running job`);
  return answer.location;
}
