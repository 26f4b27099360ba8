// How a subtask reaches checkpoint storage: where its snapshots go (the job's storage, or a
// savepoint's directory) and how it reads the state it restores. Built once per subtask.

import type { NatsConnection } from "@nats-io/transport-node";
import type { StateHandle } from "../checkpoint/checkpoint-metadata.ts";
import { openCheckpointStorage, readState, savepointStorage, type StateWriter } from "../checkpoint/checkpoint-storage.ts";
import { DEFAULT_CHECKPOINT_STORAGE } from "../checkpoint/storage-spec.ts";
import type { CheckpointingConfig } from "../messages/schema.ts";

export interface CheckpointIo {
  storage: StateWriter;
  savepointStorage: (dir: string) => StateWriter;
  readState: (handle: StateHandle) => Promise<Uint8Array>;
}

/** Opens the job's checkpoint storage (object stores need `nats`). */
export async function openCheckpointIo(config: CheckpointingConfig | undefined, nats: NatsConnection | undefined): Promise<CheckpointIo> {
  const storage = await openCheckpointStorage(config?.storage ?? DEFAULT_CHECKPOINT_STORAGE, { nats });
  return {
    storage,
    savepointStorage: (dir) => savepointStorage(dir),
    readState: (handle) => readState(handle, { nats }),
  };
}
