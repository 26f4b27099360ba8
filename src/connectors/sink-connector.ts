// A sink from a connector (PostgreSQL, …): its name in the job graph and the operator each
// subtask runs. `stream.sinkTo(connector)` adds it.

import type { StreamOperator } from "../operators/operator.ts";

export interface SinkConnector<T> {
  readonly name: string;
  createOperator(): StreamOperator;
  /** Never set: ties the connector to the records it takes, so `sinkTo` checks the stream's type. */
  readonly recordType?: (record: T) => void;
}
