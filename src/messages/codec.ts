// The one codec: msgpackr bytes <-> typed messages. Size is checked before decoding, then the
// message's type and version, then its fields against the type's schema (schema.ts). Decoding is
// total: whatever the bytes, it returns an outcome, and a rejection's detail is built by
// describeValue or schema-check.ts, which no decoded value can make throw.

import { Packr } from "msgpackr";
import { compileCheck, type SchemaCheck } from "./schema-check.ts";
import { describeValue } from "./describe-value.ts";
import { structureProblem } from "./msgpack-structure.ts";
import { MESSAGE_SCHEMAS, PROTOCOL_VERSION, type Message, type MessageType } from "./schema.ts";

/** NATS's default max payload; frames aim far below it (32 KiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * Why a message was rejected. Beyond what decoding finds: `after-end` (a frame on a channel that
 * has ended), `wrong-deployment` (a frame, credit or collect batch without its deployment's token
 * or signature).
 */
export type RejectReason = "oversized" | "malformed" | "unknown-type" | "wrong-version" | "invalid" | "unexpected-type" | "after-end" | "wrong-deployment" | "stale-epoch";

export type DecodeOutcome<M extends Message = Message> =
  | { ok: true; message: M }
  | { ok: false; reason: RejectReason; detail: string };

/**
 * The options for bytes from anyone on the bus. Sizes are bounded by `maxBytes` before decoding
 * (and msgpackr bounds array and string headers by the bytes that remain); containers nesting
 * deeper than MAX_NESTING are a "malformed" rejection, found by a scan before decoding (so the
 * verdict never depends on how deep the caller's stack is). int64/uint64 stay BigInt (so user records holding BigInt
 * round-trip), and every int or number field of the schema rejects a BigInt. Extensions that read
 * further items or carry decoder state (errors, sets, regexps, bundled strings, records, the
 * structured-clone references 0x69/0x70) are refused by the scan; weir's encoder never writes
 * them. Timestamps and typed arrays decode to inert values that only `unknown` fields (user
 * records, inline state) can hold — the schema rejects them anywhere else.
 */
const packr = new Packr({ useRecords: false, moreTypes: false, structuredClone: false, mapsAsObjects: true });

/** Distributive helper: a message of the given type, without the `v` field (the codec sets it). */
export type Unversioned<M> = M extends Message ? Omit<M, "v"> : never;

/** Encodes one message. The version is stamped here so callers cannot forget it. */
export function encode(message: Unversioned<Message> | Message): Uint8Array {
  return packr.pack({ ...message, v: PROTOCOL_VERSION });
}

/** Encodes a message that already carries its version, without copying it (the data path). */
export function encodeVersioned(message: Message): Uint8Array {
  return packr.pack(message);
}

/**
 * Decodes and validates one message.
 * @example
 * const out = decode(bytes, ["frame"]);
 * if (!out.ok) rejections.reject(out, { subject });
 */
export function decode<T extends MessageType = MessageType>(
  bytes: Uint8Array,
  expected?: readonly T[],
  maxBytes = DEFAULT_MAX_MESSAGE_BYTES,
): DecodeOutcome<Extract<Message, { type: T }>> {
  try {
    return decodeChecked(bytes, expected, maxBytes);
  } catch (error) {
    // Unreachable by construction; kept so that a future check cannot break the promise.
    return { ok: false, reason: "malformed", detail: `could not be checked: ${describeValue(error instanceof Error ? error.message : error)}` };
  }
}

function decodeChecked<T extends MessageType>(bytes: Uint8Array, expected: readonly T[] | undefined, maxBytes: number): DecodeOutcome<Extract<Message, { type: T }>> {
  if (bytes.length > maxBytes) {
    return { ok: false, reason: "oversized", detail: `${bytes.length} bytes exceeds the limit of ${maxBytes}` };
  }
  // Checked before decoding, so that whether bytes decode never depends on the caller's stack.
  const structure = structureProblem(bytes);
  if (structure) return { ok: false, reason: "malformed", detail: structure };
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (error) {
    return { ok: false, reason: "malformed", detail: `not msgpack: ${describeValue(error instanceof Error ? error.message : error)}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: "malformed", detail: "not a message object" };
  }
  const record = value as { type?: unknown; v?: unknown };
  if (typeof record.type !== "string" || !Object.hasOwn(MESSAGE_SCHEMAS, record.type)) {
    return { ok: false, reason: "unknown-type", detail: `unknown message type ${describeValue(record.type)}` };
  }
  if (record.v !== PROTOCOL_VERSION) {
    return { ok: false, reason: "wrong-version", detail: `version ${describeValue(record.v)}, this process speaks ${PROTOCOL_VERSION}` };
  }
  if (expected && !expected.includes(record.type as T)) {
    return { ok: false, reason: "unexpected-type", detail: `${record.type} where ${expected.join("|")} was expected` };
  }
  const problem = checkOf(record.type as MessageType)(value);
  if (problem) return { ok: false, reason: "invalid", detail: problem };
  return { ok: true, message: value as Extract<Message, { type: T }> };
}

/** Each type's schema is compiled the first time a message of that type arrives, then reused. */
const checks = new Map<MessageType, SchemaCheck>();

function checkOf(type: MessageType): SchemaCheck {
  let check = checks.get(type);
  if (!check) checks.set(type, (check = compileCheck(MESSAGE_SCHEMAS[type])));
  return check;
}
