// A job master's checkpoint storage that knows what it is committing, so that cleaning up at the
// end of a job waits for a commit still in flight, and refuses commits once the job has ended (a
// checkpoint may complete just as the job finishes).

import type { CheckpointMetadata } from "./checkpoint-metadata.ts";
import type { CheckpointStorage } from "./checkpoint-storage.ts";

export interface TrackedCheckpointStorage extends CheckpointStorage {
  /** Resolves when every commit started so far has ended (succeeded or not). */
  settled(): Promise<void>;
  /** The job has ended: later commits are refused. */
  seal(): void;
}

/**
 * Wraps `storage` so commits are tracked.
 * @example
 * const storage = trackCommits(await openCheckpointStorage(spec));
 * storage.seal();
 * await storage.settled();
 * await storage.discardJob(jobId);
 */
export function trackCommits(storage: CheckpointStorage): TrackedCheckpointStorage {
  const inFlight = new Set<Promise<unknown>>();
  let sealed = false;
  return {
    spec: storage.spec,
    writeState: (jobId, checkpointId, name, bytes) => storage.writeState(jobId, checkpointId, name, bytes),
    latest: (jobId) => storage.latest(jobId),
    discard: (jobId, checkpointId) => storage.discard(jobId, checkpointId),
    discardJob: (jobId) => storage.discardJob(jobId),
    close: () => storage.close(),
    commit(metadata: CheckpointMetadata): Promise<string> {
      if (sealed) return Promise.reject(new Error(`checkpoint ${metadata.checkpointId} completed after its job ended: not committed`));
      const commit = storage.commit(metadata);
      const tracked = commit.finally(() => inFlight.delete(tracked));
      tracked.catch(() => undefined);
      inFlight.add(tracked);
      return commit;
    },
    async settled(): Promise<void> {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    seal: () => {
      sealed = true;
    },
  };
}
