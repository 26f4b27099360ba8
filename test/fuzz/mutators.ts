// Structure-aware mutations of valid messages, as fast-check arbitraries of bytes. A case starts
// from the sample of one message type and edits it: a field set to a hostile value, dropped, or a
// field added; the type switched to another type's name; then the encoding itself is edited (byte
// flips, truncation, inserted bytes). Some cases are random bytes, some oversized.

import fc from "fast-check";
import { Packr } from "msgpackr";
import type { MessageType } from "../../src/messages/schema.ts";
import { hostileValue, RawMsgpack } from "./hostile-values.ts";
import { SAMPLE_TYPES, SAMPLES } from "./samples.ts";

/** Encodes what the codec refuses to carry: Maps with any keys, sets, errors, BigInt as int64. */
const fuzzPackr = new Packr({ useRecords: false, moreTypes: true, structuredClone: false, mapsAsObjects: false });

export type FieldEdit =
  | { op: "set"; at: number; value: unknown }
  | { op: "drop"; at: number }
  | { op: "add"; at: number; key: string; value: unknown }
  | { op: "retype"; to: string };

export type ByteEdit = { op: "flip"; at: number; xor: number } | { op: "truncate"; at: number } | { op: "insert"; at: number; bytes: Uint8Array };

export interface FuzzCase {
  /** The sample it started from, or "random"/"oversized". */
  origin: string;
  bytes: Uint8Array;
}

const fieldEdit: fc.Arbitrary<FieldEdit> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant("set" as const), at: fc.nat(), value: hostileValue }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant("drop" as const), at: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("add" as const), at: fc.nat(), key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("__proto__", "constructor", "type", "v")), value: hostileValue }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("retype" as const), to: fc.oneof(fc.constantFrom(...SAMPLE_TYPES), fc.string({ maxLength: 12 })) }), weight: 1 },
);

const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  fc.record({ op: fc.constant("flip" as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }) }),
);

/** Every (container, key) of a message, root fields first: the places a field edit can hit. */
function slots(root: Record<string, unknown>): [Record<string, unknown> | unknown[], string | number][] {
  const found: [Record<string, unknown> | unknown[], string | number][] = [];
  // Only the message's own structure, not deep into hostile values an earlier edit put there.
  const walk = (node: unknown, depth: number) => {
    if (depth > 8 || found.length > 400) return;
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        found.push([node, i]);
        walk(item, depth + 1);
      });
    } else if (node !== null && typeof node === "object" && Object.getPrototypeOf(node) === Object.prototype) {
      for (const [key, item] of Object.entries(node)) {
        found.push([node as Record<string, unknown>, key]);
        walk(item, depth + 1);
      }
    }
  };
  walk(root, 0);
  return found;
}

function applyEdit(message: Record<string, unknown>, edit: FieldEdit): void {
  if (edit.op === "retype") {
    message.type = edit.to;
    return;
  }
  const all = slots(message);
  const [container, key] = all[edit.at % all.length];
  if (edit.op === "set") (container as Record<string | number, unknown>)[key] = edit.value;
  else if (edit.op === "drop") {
    if (Array.isArray(container)) container.splice(key as number, 1);
    else delete container[key as string];
  } else {
    const target = (Array.isArray(container) ? message : container) as Record<string, unknown>;
    Object.defineProperty(target, edit.key, { value: edit.value, enumerable: true, configurable: true, writable: true });
  }
}

/** Packs `value`, splicing the RawMsgpack snippets it holds in as bytes. */
export function packWithRaw(value: unknown): Uint8Array {
  const raws: Uint8Array[] = [];
  const replace = (node: unknown, depth: number): unknown => {
    if (node instanceof RawMsgpack) return `\u0001raw${raws.push(node.bytes) - 1}\u0001`;
    if (depth > 40 || node === null || typeof node !== "object" || ArrayBuffer.isView(node) || node instanceof Map || node instanceof Set || node instanceof Date || node instanceof Error) return node;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) if (Object.hasOwn(node, i)) node[i] = replace(node[i], depth + 1);
      return node;
    }
    for (const key of Object.keys(node)) (node as Record<string, unknown>)[key] = replace((node as Record<string, unknown>)[key], depth + 1);
    return node;
  };
  let bytes: Uint8Array = fuzzPackr.pack(replace(value, 0));
  for (let i = 0; i < raws.length; i++) bytes = splice(bytes, fuzzPackr.pack(`\u0001raw${i}\u0001`), raws[i]);
  return bytes;
}

function splice(bytes: Uint8Array, marker: Uint8Array, replacement: Uint8Array): Uint8Array {
  const at = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(Buffer.from(marker));
  if (at < 0) return bytes;
  const out = new Uint8Array(bytes.length - marker.length + replacement.length);
  out.set(bytes.subarray(0, at));
  out.set(replacement, at);
  out.set(bytes.subarray(at + marker.length), at + replacement.length);
  return out;
}

function applyByteEdit(bytes: Uint8Array, edit: ByteEdit): Uint8Array {
  if (bytes.length === 0) return bytes;
  const at = edit.at % bytes.length;
  if (edit.op === "flip") {
    const copy = bytes.slice();
    copy[at] ^= edit.xor;
    return copy;
  }
  if (edit.op === "truncate") return bytes.slice(0, at);
  const out = new Uint8Array(bytes.length + edit.bytes.length);
  out.set(bytes.subarray(0, at));
  out.set(edit.bytes, at);
  out.set(bytes.subarray(at), at + edit.bytes.length);
  return out;
}

/** A deep copy of a sample (values are plain: objects, arrays, strings, numbers, bytes). */
function copySample(type: MessageType): Record<string, unknown> {
  return structuredClone(SAMPLES[type]) as unknown as Record<string, unknown>;
}

/** Renders one planned case; a value msgpackr cannot pack falls back to the unedited sample's bytes with the byte edits. */
export function renderStructural(type: MessageType, edits: FieldEdit[], byteEdits: ByteEdit[]): Uint8Array {
  const message = copySample(type);
  for (const edit of edits) applyEdit(message, edit);
  let bytes: Uint8Array;
  try {
    bytes = packWithRaw(message);
  } catch {
    bytes = fuzzPackr.pack(copySample(type));
  }
  for (const edit of byteEdits) bytes = applyByteEdit(bytes, edit);
  return bytes;
}

const OVERSIZED = new Uint8Array(1024 * 1024 + 1).fill(0x90);

/** Fuzzed messages that start from samples of `types` (default: every type). */
export function fuzzCase(types: readonly MessageType[] = SAMPLE_TYPES): fc.Arbitrary<FuzzCase> {
  const type = fc.constantFrom(...types);
  const mutated = fc.oneof(
    {
      arbitrary: fc
        .tuple(type, fc.array(fieldEdit, { minLength: 1, maxLength: 3 }), fc.array(byteEdit, { maxLength: 1 }))
        .map(([t, edits, byteEdits]) => ({ origin: t, bytes: renderStructural(t, edits, byteEdits) })),
      weight: 12,
    },
    {
      arbitrary: fc.tuple(type, fc.array(byteEdit, { minLength: 1, maxLength: 4 })).map(([t, byteEdits]) => ({ origin: t, bytes: renderStructural(t, [], byteEdits) })),
      weight: 6,
    },
    { arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ origin: "random", bytes })), weight: 2 },
  );
  // One case in 5000 is over the size limit (they are costly to carry, and one is as good as many).
  return fc.tuple(fc.noBias(fc.nat(4999)), mutated).map(([n, c]) => (n === 0 ? { origin: "oversized", bytes: OVERSIZED } : c));
}

/**
 * `count` cases from a fixed seed, in batches (so a million never sit in memory at once).
 * @example for (const batch of fuzzBatches(42, 10_000)) for (const c of batch) decode(c.bytes);
 */
export function* fuzzBatches(seed: number, count: number, types?: readonly MessageType[], batchSize = 2000): Generator<FuzzCase[]> {
  const arbitrary = fuzzCase(types);
  for (let done = 0, batch = 0; done < count; batch++) {
    const n = Math.min(batchSize, count - done);
    yield fc.sample(arbitrary, { seed: seed + batch, numRuns: n });
    done += n;
  }
}
