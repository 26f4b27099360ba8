// How large a data frame may be, and how long a part-filled one may wait: limits shared by the
// channel writers that make frames, the sinks that check records, and the settings that tune them.

/** Default flush threshold: Flink's network buffer size and nats.js's own flush threshold. */
export const DEFAULT_FRAME_BYTES = 32 * 1024;
/** A frame above this is split; a single record above it is an error. Well under NATS's 1 MiB. */
export const MAX_FRAME_BYTES = 512 * 1024;

/** Timers cannot wait longer than 2^31 − 1 ms; Node would silently fire them after 1 ms. */
export const MAX_BUFFER_TIMEOUT_MS = 2 ** 31 - 1;

export function checkBufferTimeout(ms: number): void {
  if (!(ms >= 0 && ms <= MAX_BUFFER_TIMEOUT_MS)) {
    throw new Error(`setBufferTimeout(${ms}): expects milliseconds in [0, ${MAX_BUFFER_TIMEOUT_MS}]; 0 flushes after every batch of input`);
  }
}

export class RecordTooLargeError extends Error {
  constructor(bytes: number) {
    super(`a single record encodes to ${bytes} bytes, above the frame limit of ${MAX_FRAME_BYTES}: split it into smaller records`);
    this.name = "RecordTooLargeError";
  }
}
