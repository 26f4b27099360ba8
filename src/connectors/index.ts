// Connectors to systems outside weir.
export { postgresSink, type PostgresSinkOptions } from "./postgres-sink.ts";
export type { SinkConnector } from "./sink-connector.ts";
