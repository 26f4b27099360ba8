// How the NATS sources turn a message's bytes into a record: a named schema ("json", "msgpack",
// "text") or a function of the caller's. Receives the option as given; returns one decode
// function, checked once when the source is built. A decode that throws is a bad record.

import { unpack } from "msgpackr";

/** Turns a message's bytes (and its subject) into a record; a throw makes it a bad record. */
export type Deserializer<T> = (data: Uint8Array, subject: string) => T;

/**
 * How a NATS source decodes messages: `"json"` (UTF-8 JSON), `"msgpack"` (MessagePack, as
 * msgpackr reads it), `"text"` (the UTF-8 text as a string; invalid UTF-8 is a bad record), or a
 * function `(data, subject) => record`.
 * @example
 * jetStreamSource<Order>({ servers: "nats://127.0.0.1:4222", stream: "ORDERS", schema: "msgpack" });
 */
export type DeserializationSchema<T> = "json" | "msgpack" | "text" | Deserializer<T>;

/** The names a schema may have, for messages. */
const NAMES = ["json", "msgpack", "text"];

// fatal: a message that is not UTF-8 is a bad record, not text with replacement characters in it.
const utf8 = new TextDecoder("utf-8", { fatal: true });

const decodeJson = (data: Uint8Array): unknown => JSON.parse(utf8.decode(data));
const decodeMsgpack = (data: Uint8Array): unknown => unpack(data);
const decodeText = (data: Uint8Array): unknown => utf8.decode(data);

/**
 * The decode function of a source's options: `schema`, else the older `deserialize`, else JSON.
 * Throws, naming the source and the option, when both are given or the schema is unknown.
 */
export function deserializerOf<T>(source: string, options: { schema?: DeserializationSchema<T>; deserialize?: Deserializer<T> }): Deserializer<T> {
  const { schema, deserialize } = options;
  if (schema !== undefined && deserialize !== undefined) throw new Error(`${source}: give schema or deserialize, not both (deserialize(data, subject) is the same as schema: (data, subject) => …)`);
  if (deserialize !== undefined && typeof deserialize !== "function") throw new Error(`${source}: deserialize must be a function (data, subject) => record, got ${typeof deserialize}`);
  const chosen = schema ?? deserialize ?? "json";
  if (typeof chosen === "function") return chosen;
  switch (chosen) {
    case "json":
      return decodeJson as Deserializer<T>;
    case "msgpack":
      return decodeMsgpack as Deserializer<T>;
    case "text":
      return decodeText as Deserializer<T>;
    default:
      throw new Error(`${source}: schema must be ${NAMES.map((n) => JSON.stringify(n)).join(", ")} or a function (data, subject) => record, got ${JSON.stringify(chosen)}`);
  }
}
