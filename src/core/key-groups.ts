// Key groups: keys hash (murmur3 of the key's msgpack bytes) into `maxParallelism` groups, and a
// group maps to subtask floor(kg * parallelism / maxParallelism) — Flink's formula, so state can
// later be redistributed by key group.

import { Packr } from "msgpackr";

const packr = new Packr({ useRecords: false });
const scratch = Buffer.allocUnsafe(64 * 1024);

/** MurmurHash3 x86 32-bit of `bytes[0, length)` with seed 0. */
export function murmur3(bytes: Uint8Array, length = bytes.length, seed = 0): number {
  let h = seed >>> 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (length & 3) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: murmur3's tail falls through on purpose
    case 3:
      k ^= bytes[blocks + 2] << 16;
    // falls through
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: murmur3's tail falls through on purpose
    case 2:
      k ^= bytes[blocks + 1] << 8;
    // falls through
    case 1:
      k ^= bytes[blocks];
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Writes a short ASCII string's msgpack encoding into the scratch buffer byte by byte: for the
 * short keys that dominate, a JS loop costs a fraction of Buffer#write (a native call), and keyed
 * state hashes every record's key. Returns the length, or -1 when the string is not short ASCII.
 */
function packShortAsciiIntoScratch(key: string): number {
  const length = key.length;
  if (length >= 0x100) return -1;
  const offset = length < 32 ? 1 : 2;
  for (let i = 0; i < length; i++) {
    const code = key.charCodeAt(i);
    if (code >= 0x80) return -1;
    scratch[offset + i] = code;
  }
  if (offset === 1) scratch[0] = 0xa0 | length;
  else {
    scratch[0] = 0xd9;
    scratch[1] = length;
  }
  return offset + length;
}

/** Writes a string's msgpack encoding (str header + UTF-8) into the scratch buffer; returns its length, or -1 if too long. */
function packStringIntoScratch(key: string): number {
  const ascii = packShortAsciiIntoScratch(key);
  if (ascii >= 0) return ascii;
  if (key.length * 3 + 5 > scratch.length) return -1;
  const utf8Length = Buffer.byteLength(key, "utf8");
  let offset: number;
  if (utf8Length < 32) {
    scratch[0] = 0xa0 | utf8Length;
    offset = 1;
  } else if (utf8Length < 0x100) {
    scratch[0] = 0xd9;
    scratch[1] = utf8Length;
    offset = 2;
  } else if (utf8Length < 0x10000) {
    scratch[0] = 0xda;
    scratch.writeUInt16BE(utf8Length, 1);
    offset = 3;
  } else {
    scratch[0] = 0xdb;
    scratch.writeUInt32BE(utf8Length, 1);
    offset = 5;
  }
  scratch.write(key, offset, "utf8");
  return offset + utf8Length;
}

/**
 * Writes a 32-bit integer's msgpack encoding into the scratch buffer, byte for byte what msgpackr
 * (with `useRecords: false`) writes for it; returns its length.
 */
function packInt32IntoScratch(value: number): number {
  if (value >= 0) {
    if (value < 0x80) {
      scratch[0] = value;
      return 1;
    }
    if (value < 0x100) {
      scratch[0] = 0xcc;
      scratch[1] = value;
      return 2;
    }
    if (value < 0x10000) {
      scratch[0] = 0xcd;
      scratch.writeUInt16BE(value, 1);
      return 3;
    }
    scratch[0] = 0xce;
    scratch.writeUInt32BE(value, 1);
    return 5;
  }
  if (value >= -0x20) {
    scratch[0] = 0x100 + value;
    return 1;
  }
  if (value >= -0x80) {
    scratch[0] = 0xd0;
    scratch[1] = value + 0x100;
    return 2;
  }
  if (value >= -0x8000) {
    scratch[0] = 0xd1;
    scratch.writeInt16BE(value, 1);
    return 3;
  }
  scratch[0] = 0xd2;
  scratch.writeInt32BE(value, 1);
  return 5;
}

/**
 * The hash of a key: murmur3 over its msgpack bytes. Strings and 32-bit integers take fast paths
 * with the same bytes, so the common keys cost no allocation per record.
 */
export function hashKey(key: unknown): number {
  if (typeof key === "string") {
    const length = packStringIntoScratch(key);
    if (length >= 0) return murmur3(scratch, length);
  } else if (typeof key === "number" && (key >>> 0 === key || key >> 0 === key)) {
    return murmur3(scratch, packInt32IntoScratch(key));
  }
  return murmur3(packr.pack(key));
}

export function keyGroupOf(key: unknown, maxParallelism: number): number {
  return hashKey(key) % maxParallelism;
}

export function subtaskForKeyGroup(keyGroup: number, parallelism: number, maxParallelism: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

export function subtaskForKey(key: unknown, parallelism: number, maxParallelism: number): number {
  return subtaskForKeyGroup(keyGroupOf(key, maxParallelism), parallelism, maxParallelism);
}

/** The inclusive range of key groups a subtask owns (Flink's KeyGroupRange). */
export interface KeyGroupRange {
  start: number;
  end: number;
}

export function keyGroupRangeFor(subtask: number, parallelism: number, maxParallelism: number): KeyGroupRange {
  return {
    start: Math.floor((subtask * maxParallelism + parallelism - 1) / parallelism),
    end: Math.floor(((subtask + 1) * maxParallelism - 1) / parallelism),
  };
}

/** Checks a max parallelism setting, with a message that says what to change. */
export function checkMaxParallelism(maxParallelism: number, parallelism: number): void {
  if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > 32768) {
    throw new Error(`maxParallelism must be an integer in [1, 32768], got ${maxParallelism}`);
  }
  if (parallelism > maxParallelism) {
    throw new Error(`parallelism ${parallelism} exceeds maxParallelism ${maxParallelism}: raise setMaxParallelism() or lower the parallelism`);
  }
}
