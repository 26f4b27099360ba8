// Values no honest sender produces, for the fuzzer to put where a message field was: numbers the
// schema cannot mean (BigInt, NaN, -0, beyond 2^53), huge strings, deep nesting, sparse arrays,
// maps with non-string keys, inert objects msgpackr knows (dates, sets, typed arrays), and raw
// msgpack snippets spliced in as bytes (extension types, lying length headers, nesting deeper
// than any stack, never-used bytes, prototype-polluting keys).

import fc from "fast-check";

/** Raw msgpack bytes standing where a value was; spliced into the encoding by the mutator. */
export class RawMsgpack {
  constructor(readonly bytes: Uint8Array) {}
}

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

function ext(type: number, data: Uint8Array): Uint8Array {
  const t = type & 0xff;
  const fixed: Record<number, number> = { 1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8 };
  const head = fixed[data.length] !== undefined ? [fixed[data.length], t] : [0xc7, data.length, t];
  return Uint8Array.from([...head, ...data]);
}

function nested(depth: number): Uint8Array {
  const bytes = new Uint8Array(depth + 1).fill(0x91);
  bytes[depth] = 0xc0;
  return bytes;
}

function str(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [0xa0 | bytes.length, ...bytes];
}

/** Type codes msgpackr gives meaning to (structured clone 0x69/0x70, records, sets, typed arrays, errors, regexps, bigint, timestamps), then any. */
const extType = fc.oneof(fc.constantFrom(0x69, 0x70, 0x72, 0x73, 0x74, 0x65, 0x78, 0x42, 0x62, 0x63, 0xff, 0x00, 0x7f), fc.integer({ min: -128, max: 127 }));

const rawSnippet: fc.Arbitrary<RawMsgpack> = fc
  .oneof(
    fc.tuple(extType, fc.uint8Array({ maxLength: 24 })).map(([type, data]) => ext(type, data)),
    fc.integer({ min: 50, max: 50_000 }).map(nested),
    fc.constantFrom(
      Uint8Array.from([0xdc, 0xff, 0xff]), // array16 of 65535, nothing follows
      Uint8Array.from([0xdd, 0x7f, 0xff, 0xff, 0xff]), // array32 of 2^31-1
      Uint8Array.from([0xdf, 0xff, 0xff, 0xff, 0xff]), // map32 of 2^32-1
      Uint8Array.from([0xdb, 0xff, 0xff, 0xff, 0xf0, 0x61]), // str32 of ~4 GiB
      Uint8Array.from([0xc6, 0x7f, 0xff, 0xff, 0xff]), // bin32 of 2 GiB
      Uint8Array.from([0xc1]), // never used
      Uint8Array.from([0xca, 0x7f, 0xc0, 0x00, 0x00]), // float32 NaN
      Uint8Array.from([0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0]), // float64 +Infinity
      Uint8Array.from([0x81, 0x01, 0xc0]), // map with an int key
      Uint8Array.from([0x81, 0x91, 0x01, 0xc0]), // map with an array key
      Uint8Array.from([0x81, 0x81, 0xa1, 0x61, 0x01, 0xc0]), // map with a map key
      Uint8Array.from([0x81, ...str("__proto__"), 0x81, ...str("polluted"), 0xc3]),
      Uint8Array.from([0x82, ...str("constructor"), 0x01, ...str("toString"), 0x02]),
      Uint8Array.from([0x81, ...str("hasOwnProperty"), 0xc3]),
    ),
    fc.tuple(fc.constantFrom(0xd3, 0xcf), fc.uint8Array({ minLength: 8, maxLength: 8 })).map(([head, body]) => Uint8Array.from([head, ...body])),
  )
  .map((bytes) => new RawMsgpack(bytes));

/** A 70,000-character string, encoded once (encoding it per case would dominate the fuzzer's time). */
const HUGE_STRING = new RawMsgpack(hugeString(70_000));

function hugeString(length: number): Uint8Array {
  const bytes = new Uint8Array(5 + length).fill(0x73);
  bytes[0] = 0xdb;
  new DataView(bytes.buffer).setUint32(1, length);
  return bytes;
}

function sparse(length: number, filled: number[]): unknown[] {
  const array = new Array<unknown>(length);
  for (const i of filled) if (i < length) array[i] = i;
  return array;
}

function deepObject(depth: number): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { d: value } : [value];
  return value;
}

/** A value the schema never means, to put where a field was (or add as a new field). */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.bigInt({ min: INT64_MIN, max: UINT64_MAX }), weight: 4 },
  { arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, -1, -(2 ** 31), 2 ** 53, 2 ** 64, 1.5, Number.MIN_VALUE, -Number.MAX_VALUE), weight: 4 },
  { arbitrary: fc.constantFrom(null, undefined, true, false, "", "\u0000", "a.b.>", "*", "💥".repeat(40)), weight: 3 },
  { arbitrary: fc.constant(HUGE_STRING), weight: 1 },
  { arbitrary: fc.integer({ min: 10, max: 1500 }).map(deepObject), weight: 1 },
  { arbitrary: fc.tuple(fc.integer({ min: 1, max: 50 }), fc.array(fc.nat(49), { maxLength: 5 })).map(([n, filled]) => sparse(n, filled)), weight: 2 },
  {
    arbitrary: fc
      .array(fc.tuple(fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.bigInt({ min: INT64_MIN, max: 2n ** 63n - 1n })), fc.integer()), { minLength: 1, maxLength: 4 })
      .map((entries) => new Map<unknown, unknown>(entries)),
    weight: 2,
  },
  { arbitrary: fc.constantFrom(new Date(0), new Date(Number.NaN), new Set([1, 2]), new Uint8Array([1, 2, 3]), new Float64Array([Number.NaN]), new Error("forged")), weight: 2 },
  { arbitrary: rawSnippet, weight: 6 },
  { arbitrary: fc.anything({ maxDepth: 3, withBigInt: true, withMap: true, withSet: true, withDate: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true }), weight: 4 },
);
