// Binds data-plane messages to the deployment that may send them. The client draws a random
// secret per job and hands it to the job master in `submit-job`; from it the job master derives
// one channel token per attempt (carried by every frame and credit of that attempt) and the
// collect key (collect sinks sign their batches with it; the client checks the signature).
// Receives and sends nothing: pure derivations over node:crypto.

import { createHmac, randomBytes } from "node:crypto";

/** What a deployed subtask is given to bind its messages (both from its `deploy-task`). */
export interface DeploymentBinding {
  /** Its attempt's channel token: sent in its frames and credits, and the only one it accepts. */
  channelToken: string;
  /** The collect key, for a collect sink to sign its batches with. */
  collectKey: string;
}

/** A fresh job secret: 128 random bits, hex. */
export function newJobSecret(): string {
  return randomBytes(16).toString("hex");
}

/**
 * The token every frame and credit of `attempt` carries. Derived, not drawn, so a replay of the
 * job master from a trace deploys the same tokens; a stranger who saw one attempt's token cannot
 * compute the next attempt's.
 */
export function channelToken(secret: string, attempt: number): string {
  return derive(secret, `channels/${attempt}`);
}

/** The key collect sinks sign their batches with: the client, knowing the secret, checks them. */
export function collectKey(secret: string): string {
  return derive(secret, "collect");
}

/** What a collect batch's signature covers: its place in the stream, not its records' bytes. */
export interface CollectPosition {
  jobId: string;
  sinkId: string;
  subtaskIndex: number;
  seq: number;
  last: boolean;
  /** How many records the batch holds. */
  count: number;
}

/**
 * A collect batch's signature. It binds the batch's number: a stranger who reads the batches
 * cannot sign the next one, so a forged batch can never take a real one's place. (A copy of a
 * real batch carries a number the client has already taken and is dropped as a repeat.)
 */
export function collectMac(key: string, position: CollectPosition): string {
  const { jobId, sinkId, subtaskIndex, seq, last, count } = position;
  return derive(key, `${jobId}\n${sinkId}\n${subtaskIndex}\n${seq}\n${last}\n${count}`);
}

function derive(key: string, what: string): string {
  return createHmac("sha256", key).update(what).digest("hex").slice(0, 32);
}
