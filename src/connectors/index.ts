// Connectors to systems outside weir.
export { postgresSink, type PostgresSinkOptions } from "./postgres-sink.ts";
export type { SinkConnector } from "./sink-connector.ts";
export { jetStreamSource, type JetStreamSourceOptions, type JetStreamStartAt } from "./jetstream-source.ts";
export { natsSource, NATS_SOURCE_DROPPED_METRIC, type NatsSourceOptions } from "./nats-source.ts";
export type { DeserializationSchema, Deserializer } from "./message-schemas.ts";
export { jetStreamSink, type JetStreamSinkOptions } from "./jetstream-sink.ts";
export { jetStreamKvSink, type JetStreamKvSinkOptions } from "./jetstream-kv-sink.ts";
export { fileSource, type FileSourceOptions } from "./file-source.ts";
export type { FileFormat } from "./file-formats.ts";
export { DEAD_LETTERS, DEAD_LETTERS_METRIC, type BadRecordPolicy, type BadRecordOptions, type DeadLetter } from "./bad-records.ts";
export { fileSink, type FileSinkOptions, type FileSinkRollingOptions } from "./file-sink.ts";
