// The ways reading or committing a checkpoint can fail, each a named Error with the location it
// concerns and a message that says what happened and what to do. Thrown at the I/O edge only;
// the pure rules (metadata decoding, the _latest marker) return outcomes that become these.

/** Stored bytes do not match their digest, or cannot be decoded. */
export class CorruptCheckpointError extends Error {
  override readonly name = "CorruptCheckpointError";
  constructor(
    /** The handle's URI, the metadata location, or "inline state of …". */
    readonly location: string,
    detail: string,
  ) {
    super(`checkpoint data at ${location} is corrupt: ${detail}`);
  }
}

/** Nothing is stored at a location that should hold a checkpoint's metadata or state. */
export class CheckpointNotFoundError extends Error {
  override readonly name = "CheckpointNotFoundError";
  constructor(
    readonly location: string,
    detail = "nothing is stored there",
  ) {
    super(`no checkpoint at ${location}: ${detail}`);
  }
}

/** The metadata was written by a weir whose format this one does not read. */
export class UnsupportedCheckpointFormatError extends Error {
  override readonly name = "UnsupportedCheckpointFormatError";
  constructor(
    readonly location: string,
    readonly format: unknown,
    readonly supported: number,
  ) {
    super(`checkpoint metadata at ${location} has format ${JSON.stringify(format)}, but this weir reads format ${supported}: restore it with the weir version that wrote it`);
  }
}

/**
 * The store holds less than it once acknowledged (a newer checkpoint vanished, or a job master of
 * an older epoch wrote after a newer one): restoring would silently go back in time.
 */
export class CheckpointRegressionError extends Error {
  override readonly name = "CheckpointRegressionError";
  constructor(
    readonly jobId: string,
    message: string,
  ) {
    super(message);
  }
}

/** A subtask's snapshot is too large to travel inline in its ack (jobmanager storage). */
export class InlineStateTooLargeError extends Error {
  override readonly name = "InlineStateTooLargeError";
}
