// Key groups: murmur3 against published MurmurHash3_x86_32 vectors and an independent reference,
// the string fast path against the msgpack bytes it claims to hash, and Flink's range formulas.

import fc from "fast-check";
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import {
  checkMaxParallelism,
  hashKey,
  keyGroupOf,
  keyGroupRangeFor,
  murmur3,
  subtaskForKey,
  subtaskForKeyGroup,
} from "../../src/core/key-groups.ts";

const packr = new Packr({ useRecords: false });
const utf8 = (text: string) => new TextEncoder().encode(text);

/**
 * MurmurHash3_x86_32 written the long way, straight from the reference C: 32-bit products built
 * from 16-bit halves (no Math.imul), blocks read with a DataView, the tail with a loop.
 */
function referenceMurmur3(bytes: Uint8Array, seed = 0): number {
  const mul = (a: number, b: number) => ((((a & 0xffff) * b) >>> 0) + ((((a >>> 16) * b) & 0xffff) << 16)) >>> 0;
  const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nblocks = Math.floor(bytes.length / 4);
  let h1 = seed >>> 0;
  for (let i = 0; i < nblocks; i++) {
    let k1 = view.getUint32(i * 4, true);
    k1 = mul(rotl(mul(k1, c1), 15), c2);
    h1 = (h1 ^ k1) >>> 0;
    h1 = rotl(h1, 13);
    h1 = (mul(h1, 5) + 0xe6546b64) >>> 0;
  }
  let k1 = 0;
  for (let i = bytes.length - 1; i >= nblocks * 4; i--) k1 = ((k1 << 8) | bytes[i]) >>> 0;
  if (bytes.length % 4 !== 0) h1 = (h1 ^ mul(rotl(mul(k1, c1), 15), c2)) >>> 0;
  h1 = (h1 ^ bytes.length) >>> 0;
  h1 = (h1 ^ (h1 >>> 16)) >>> 0;
  h1 = mul(h1, 0x85ebca6b);
  h1 = (h1 ^ (h1 >>> 13)) >>> 0;
  h1 = mul(h1, 0xc2b2ae35);
  return (h1 ^ (h1 >>> 16)) >>> 0;
}

describe("murmur3", () => {
  // Widely published MurmurHash3_x86_32 test vectors (seed, input, hash).
  it.each<[string, Uint8Array, number, number]>([
    ["empty input, seed 0", utf8(""), 0, 0],
    ["empty input, seed 1", utf8(""), 1, 0x514e28b7],
    ["empty input, seed 0xffffffff (seed is unsigned)", utf8(""), 0xffffffff, 0x81f16f39],
    ["four zero bytes", Uint8Array.of(0, 0, 0, 0), 0, 0x2362f9de],
    ["three zero bytes", Uint8Array.of(0, 0, 0), 0, 0x85f0b427],
    ["two zero bytes", Uint8Array.of(0, 0), 0, 0x30f4c306],
    ["one zero byte", Uint8Array.of(0), 0, 0x514e28b7],
    ["four 0xff bytes", Uint8Array.of(0xff, 0xff, 0xff, 0xff), 0, 0x76293b50],
    ["21 43 65 87", Uint8Array.of(0x21, 0x43, 0x65, 0x87), 0, 0xf55b516b],
    ["21 43 65 87 with seed 0x5082edee", Uint8Array.of(0x21, 0x43, 0x65, 0x87), 0x5082edee, 0x2362f9de],
    ["21 43 65", Uint8Array.of(0x21, 0x43, 0x65), 0, 0x7e4a8634],
    ["21 43", Uint8Array.of(0x21, 0x43), 0, 0xa0f7b07a],
    ["21", Uint8Array.of(0x21), 0, 0x72661cf4],
    ['"abc"', utf8("abc"), 0, 0xb3dd93fa],
    ['"abcdbcdecdef…nopq"', utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), 0, 0xee925b90],
    ['"aaaa"', utf8("aaaa"), 0x9747b28c, 0x5a97808a],
    ['"aaa"', utf8("aaa"), 0x9747b28c, 0x283e0130],
    ['"aa"', utf8("aa"), 0x9747b28c, 0x5d211726],
    ['"a"', utf8("a"), 0x9747b28c, 0x7fa09ea6],
    ['"abcd"', utf8("abcd"), 0x9747b28c, 0xf0478627],
    ['"abc" with seed 0x9747b28c', utf8("abc"), 0x9747b28c, 0xc84a62dd],
    ['"ab"', utf8("ab"), 0x9747b28c, 0x74875592],
    ['"Hello, world!"', utf8("Hello, world!"), 0x9747b28c, 0x24884cba],
    ['"ππππππππ" (multi-byte UTF-8)', utf8("ππππππππ"), 0x9747b28c, 0xd58063c1],
    ['"a" × 256', utf8("a".repeat(256)), 0x9747b28c, 0x37405bdc],
    ['"The quick brown fox jumps over the lazy dog"', utf8("The quick brown fox jumps over the lazy dog"), 0x9747b28c, 0x2fa826cd],
  ])("hashes %s to the published value", (_, bytes, seed, expected) => {
    expect(murmur3(bytes, bytes.length, seed)).toBe(expected);
    expect(referenceMurmur3(bytes, seed)).toBe(expected);
  });

  it("agrees with the reference implementation on random bytes and seeds", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 0xffffffff }), (bytes, seed) => {
        expect(murmur3(bytes, bytes.length, seed)).toBe(referenceMurmur3(bytes, seed));
      }),
      { numRuns: 2000 },
    );
  });

  it("hashes only the first `length` bytes when given a length", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), (bytes, n) => {
        const length = n % (bytes.length + 1);
        expect(murmur3(bytes, length)).toBe(referenceMurmur3(bytes.subarray(0, length)));
      }),
    );
  });

  it("returns an unsigned 32-bit integer", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const h = murmur3(bytes);
        expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff).toBe(true);
      }),
    );
  });
});

describe("hashKey", () => {
  const viaMsgpack = (key: unknown) => murmur3(packr.pack(key));

  // Lengths straddle every msgpack string header (fixstr < 32, str8 < 256, str16 < 65536, str32)
  // and the fast path's own limit (3 bytes per UTF-16 unit must fit a 64 KiB scratch buffer).
  const lengths = [0, 1, 31, 32, 33, 255, 256, 257, 21_843, 21_844, 65_535, 65_536, 100_000];

  it.each(lengths)("hashes an ASCII string of length %i to murmur3 of its msgpack bytes", (length) => {
    const key = "abcdefghijklmnopqrstuvwxyz0123456789".repeat(Math.ceil(length / 36) + 1).slice(0, length);
    expect(key).toHaveLength(length);
    expect(hashKey(key)).toBe(viaMsgpack(key));
  });

  it.each([
    ["two-byte characters", "é"],
    ["three-byte characters", "語"],
    ["four-byte characters (surrogate pairs)", "🦀"],
    ["a mix", "aé語🦀"],
  ])("hashes strings of %s of every header size to murmur3 of their msgpack bytes", (_, unit) => {
    for (const utf8Length of [0, 31, 32, 255, 256, 65_535, 65_536, 200_000]) {
      const key = unit.repeat(Math.ceil(utf8Length / Buffer.byteLength(unit)));
      expect(hashKey(key), `${Buffer.byteLength(key)} UTF-8 bytes`).toBe(viaMsgpack(key));
    }
    // Exact UTF-8 lengths at the fixstr/str8 boundary: 31 and 32 bytes made of one-, two- and three-byte characters.
    for (const key of [`${"é".repeat(15)}a`, "é".repeat(16), `${"語".repeat(10)}a`, `${"語".repeat(10)}ab`]) {
      expect(hashKey(key)).toBe(viaMsgpack(key));
    }
  });

  it("hashes any well-formed string to murmur3 of its msgpack bytes", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 400 }), fc.string({ maxLength: 400 }), fc.string({ unit: "grapheme", maxLength: 100 })), (key) => {
        expect(hashKey(key)).toBe(viaMsgpack(key));
      }),
      { numRuns: 1000 },
    );
  });

  it("hashes long strings, both sides of the fast path's limit, to murmur3 of their msgpack bytes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 21_000, max: 23_000 }), fc.constantFrom("x", "é", "語", "🦀"), (length, unit) => {
        const key = unit.repeat(Math.ceil(length / unit.length)).slice(0, length - (length % unit.length));
        expect(hashKey(key)).toBe(viaMsgpack(key));
      }),
      { numRuns: 40 },
    );
  });

  it("hashes a short key correctly after a long one (the scratch buffer is not stale)", () => {
    const long = "z".repeat(20_000);
    const short = "z";
    const expected = viaMsgpack(short);
    hashKey(long);
    expect(hashKey(short)).toBe(expected);
  });

  it("hashes non-string keys as murmur3 of their msgpack bytes", () => {
    for (const key of [0, 1, -1, 2 ** 40, 3.5, true, null, [1, "a"], { user: 7, region: "eu" }]) {
      expect(hashKey(key)).toBe(viaMsgpack(key));
    }
    expect(hashKey(1)).toBe(murmur3(Uint8Array.of(0x01)));
  });

  it.each([0, -0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, -1, -0x20, -0x21, -0x80, -0x81, -0x8000, -0x8001, -(2 ** 31), -(2 ** 31) - 1, 0.5, -2.5])(
    "hashes the number %s to murmur3 of its msgpack bytes",
    (key) => {
      expect(hashKey(key)).toBe(viaMsgpack(key));
    },
  );

  it("hashes any 32-bit integer, signed or unsigned, to murmur3 of its msgpack bytes", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.nat({ max: 0xffffffff }), fc.integer({ min: -300, max: 300 }), fc.double()), (key) => {
        expect(hashKey(key)).toBe(viaMsgpack(key));
      }),
      { numRuns: 2000 },
    );
  });

  it("tells apart keys that look alike but differ in type", () => {
    expect(hashKey(1)).not.toBe(hashKey("1"));
    expect(hashKey(true)).not.toBe(hashKey("true"));
  });
});

describe("key groups and subtasks", () => {
  const settings: [number, number][] = [
    [1, 1],
    [1, 128],
    [2, 128],
    [3, 128],
    [5, 7],
    [7, 7],
    [10, 128],
    [128, 128],
    [3, 32_768],
    [100, 32_768],
  ];

  it.each(settings)("with parallelism %i and max parallelism %i, every key group lies in the range of the subtask it maps to", (parallelism, maxParallelism) => {
    for (let kg = 0; kg < maxParallelism; kg++) {
      const subtask = subtaskForKeyGroup(kg, parallelism, maxParallelism);
      if (!(Number.isInteger(subtask) && subtask >= 0 && subtask < parallelism)) throw new Error(`key group ${kg} → subtask ${subtask}, out of [0, ${parallelism})`);
      const { start, end } = keyGroupRangeFor(subtask, parallelism, maxParallelism);
      if (kg < start || kg > end) throw new Error(`key group ${kg} → subtask ${subtask}, whose range is [${start}, ${end}]`);
    }
  });

  it.each(settings)("with parallelism %i and max parallelism %i, the subtasks' ranges tile [0, maxParallelism) in order", (parallelism, maxParallelism) => {
    let next = 0;
    for (let subtask = 0; subtask < parallelism; subtask++) {
      const range = keyGroupRangeFor(subtask, parallelism, maxParallelism);
      expect(range.start).toBe(next);
      expect(range.end).toBeGreaterThanOrEqual(range.start);
      next = range.end + 1;
    }
    expect(next).toBe(maxParallelism);
  });

  it("gives Flink's ranges for 3 subtasks over 128 key groups", () => {
    expect([0, 1, 2].map((s) => keyGroupRangeFor(s, 3, 128))).toEqual([
      { start: 0, end: 42 },
      { start: 43, end: 85 },
      { start: 86, end: 127 },
    ]);
  });

  it("maps a key to its key group by hash modulo max parallelism, and to the subtask owning that group", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer()), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 64, max: 4096 }), (key, parallelism, maxParallelism) => {
        const kg = keyGroupOf(key, maxParallelism);
        expect(kg).toBe(hashKey(key) % maxParallelism);
        const subtask = subtaskForKey(key, parallelism, maxParallelism);
        const { start, end } = keyGroupRangeFor(subtask, parallelism, maxParallelism);
        expect(kg >= start && kg <= end).toBe(true);
      }),
    );
  });
});

describe("checkMaxParallelism", () => {
  it.each([0, -1, 1.5, 32_769, NaN, Infinity])("rejects a max parallelism of %s", (max) => {
    expect(() => checkMaxParallelism(max, 1)).toThrow(`maxParallelism must be an integer in [1, 32768], got ${max}`);
  });

  it("accepts the bounds 1 and 32768", () => {
    expect(() => checkMaxParallelism(1, 1)).not.toThrow();
    expect(() => checkMaxParallelism(32_768, 32_768)).not.toThrow();
  });

  it("rejects a parallelism above the max parallelism and says what to change", () => {
    expect(() => checkMaxParallelism(4, 5)).toThrow("parallelism 5 exceeds maxParallelism 4: raise setMaxParallelism() or lower the parallelism");
    expect(() => checkMaxParallelism(4, 4)).not.toThrow();
  });
});
