// A direct encoding of one key group of heap keyed state, for the common case where every key and
// value is a number, string, boolean or null (lists and maps of those included): msgpack bytes
// written straight from the state tables' maps, with no intermediate snapshot objects and no
// general-purpose encoder. A snapshot of 1M counters encodes several times faster this way, and
// that encoding runs on the thread that processes the records. Anything else (a serializer, a TTL,
// an object, a bigint, undefined) makes the encoder give up, and the key group is encoded the
// general way (encodeKeyGroupSnapshot). Decoding is msgpackr's: the bytes are plain msgpack arrays
// tagged DIRECT_KEY_GROUP_TAG, which keyGroupFromDirect turns back into a KeyGroupStateSnapshot.

import type { StateKind } from "../core/state-descriptors.ts";
import type { KeyGroupStateSnapshot, StateTableSnapshot } from "./key-group-snapshots.ts";
import type { StateEntry } from "./state-table.ts";

/** The first element of a directly encoded key group: [tag, keyGroup, [[name, kind, ttl, entries], …]]. */
export const DIRECT_KEY_GROUP_TAG = "weir-key-group-1";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What the encoder reads of a state table: its name and kind, and its maps per key group index. */
export interface DirectTable {
  readonly name: string;
  readonly kind: StateKind;
  readonly groups: readonly (Map<unknown, unknown> | undefined)[];
}

/** A msgpack writer into one growing buffer, reused from key group to key group. */
export class DirectKeyGroupWriter {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  private position = 0;

  /**
   * Key group `index` (number `keyGroup`) of `tables`, encoded; null when it holds no state;
   * undefined when some key or value is not plain (the caller encodes the group the general way).
   * Callers pass only tables without a serializer and without TTL (their stored values are the
   * snapshot values).
   */
  encode(keyGroup: number, index: number, tables: readonly DirectTable[]): Uint8Array | null | undefined {
    this.position = 0;
    this.arrayHeader32(3);
    if (!this.string(DIRECT_KEY_GROUP_TAG)) return undefined;
    this.number(keyGroup);
    const tablesAt = this.arrayHeader32(0);
    let written = 0;
    for (const table of tables) {
      const group = table.groups[index];
      if (group === undefined || group.size === 0) continue;
      const tableAt = this.position;
      this.arrayHeader32(4);
      if (!this.string(table.name) || !this.string(table.kind)) return undefined;
      this.byte(0xc2); // ttl: false
      const count = this.entries(table.kind, group);
      if (count === undefined) return undefined;
      if (count === 0) this.position = tableAt;
      else written++;
    }
    if (written === 0) return null;
    this.patchCount(tablesAt, written);
    return Uint8Array.prototype.slice.call(this.buffer, 0, this.position);
  }

  /** One table's entries in the group, as the [key, value] pairs of StateTable.snapshotGroup; undefined if one is not plain. */
  private entries(kind: StateKind, group: Map<unknown, unknown>): number | undefined {
    const at = this.arrayHeader32(0);
    let count = 0;
    let plain = true;
    // forEach, not for-of: no iterator and no [key, value] pair per entry.
    group.forEach((stored, normalized) => {
      if (!plain) return;
      const entryAt = this.position;
      this.byte(0x92);
      const kept = !this.key(normalized) ? undefined : kind === "list" ? this.list(stored) : kind === "map" ? this.map(stored) : this.value(stored) || undefined;
      if (kept === undefined) plain = false;
      else if (kept) count++;
      else this.position = entryAt; // an empty list or map is left out, as snapshotGroup does
    });
    if (!plain) return undefined;
    this.patchCount(at, count);
    return count;
  }

  /** A list's elements; false when empty, undefined when one is not plain. */
  private list(stored: unknown): boolean | undefined {
    if (!Array.isArray(stored)) return undefined;
    if (stored.length === 0) return false;
    this.arrayHeader32(stored.length);
    for (const element of stored) if (!this.value(element)) return undefined;
    return true;
  }

  /** A map's [userKey, value] pairs; false when empty, undefined when one is not plain. */
  private map(stored: unknown): boolean | undefined {
    if (!(stored instanceof Map)) return undefined;
    if (stored.size === 0) return false;
    this.arrayHeader32(stored.size);
    for (const [userKey, value] of stored) {
      this.byte(0x92);
      if (!this.key(userKey) || !this.value(value)) return undefined;
    }
    return true;
  }

  /** A normalized key written as its original value (see denormalizeKey): objects' JSON text is not plain. */
  private key(normalized: unknown): boolean {
    if (typeof normalized === "string" && normalized.charCodeAt(0) === 0) return false;
    return this.value(normalized);
  }

  private value(value: unknown): boolean {
    switch (typeof value) {
      case "number":
        this.number(value);
        return true;
      case "string":
        return this.string(value);
      case "boolean":
        this.byte(value ? 0xc3 : 0xc2);
        return true;
      default:
        if (value !== null) return false;
        this.byte(0xc0);
        return true;
    }
  }

  /**
   * A number the way msgpackr writes it, so it reads back the same: 32-bit integers as integers,
   * anything else as a float64. Positive fixints stop at 0x1f: msgpackr reads 0x40–0x7f as record
   * references.
   */
  private number(value: number): void {
    this.reserve(9);
    const b = this.buffer;
    let p = this.position;
    if (value >>> 0 === value) {
      if (value < 0x20) b[p++] = value;
      else if (value < 0x100) {
        b[p++] = 0xcc;
        b[p++] = value;
      } else if (value < 0x10000) {
        b[p++] = 0xcd;
        b[p++] = value >> 8;
        b[p++] = value & 0xff;
      } else {
        b[p++] = 0xce;
        this.view.setUint32(p, value);
        p += 4;
      }
    } else if (value >> 0 === value) {
      if (value >= -0x20) b[p++] = 0x100 + value;
      else if (value >= -0x80) {
        b[p++] = 0xd0;
        b[p++] = value + 0x100;
      } else if (value >= -0x8000) {
        b[p++] = 0xd1;
        this.view.setInt16(p, value);
        p += 2;
      } else {
        b[p++] = 0xd2;
        this.view.setInt32(p, value);
        p += 4;
      }
    } else {
      b[p++] = 0xcb;
      this.view.setFloat64(p, value);
      p += 8;
    }
    this.position = p;
  }

  /** A string as msgpack str (UTF-8); false for one with a lone surrogate, which UTF-8 cannot carry as it is. */
  private string(value: string): boolean {
    const length = value.length;
    this.reserve(5 + length * 3);
    const b = this.buffer;
    let p = this.position;
    if (length < 32) {
      let ascii = true;
      for (let i = 0; i < length; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        b[p + 1 + i] = c;
      }
      if (ascii) {
        b[p] = 0xa0 | length;
        this.position = p + 1 + length;
        return true;
      }
    }
    if (LONE_SURROGATE.test(value)) return false;
    const bytes = b.write(value, p + 5, "utf8");
    b[p++] = 0xdb;
    this.view.setUint32(p, bytes);
    this.position = p + 4 + bytes;
    return true;
  }

  /** An array32 header; returns where it is, for patchCount. */
  private arrayHeader32(count: number): number {
    this.reserve(5);
    const at = this.position;
    this.buffer[at] = 0xdd;
    this.view.setUint32(at + 1, count);
    this.position = at + 5;
    return at;
  }

  private patchCount(at: number, count: number): void {
    this.view.setUint32(at + 1, count);
  }

  private byte(value: number): void {
    this.reserve(1);
    this.buffer[this.position++] = value;
  }

  private reserve(bytes: number): void {
    if (this.position + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.position + bytes));
    this.buffer.copy(grown, 0, 0, this.position);
    this.buffer = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }
}

/**
 * A decoded key group part as a KeyGroupStateSnapshot: directly encoded ones are turned back into
 * one; anything else is returned as it is (encoded the general way).
 */
export function keyGroupFromDirect(decoded: unknown, what: string): unknown {
  if (!Array.isArray(decoded) || decoded[0] !== DIRECT_KEY_GROUP_TAG) return decoded;
  const [, keyGroup, tables] = decoded as [string, unknown, unknown];
  if (typeof keyGroup !== "number" || !Array.isArray(tables)) throw new Error(`${what}: a key group of the snapshot is not readable`);
  const snapshot: KeyGroupStateSnapshot = {
    keyGroup,
    tables: tables.map((table: unknown): StateTableSnapshot => {
      if (!Array.isArray(table) || table.length !== 4) throw new Error(`${what}: a state table in key group ${keyGroup} is not readable`);
      const [name, kind, ttl, entries] = table as [string, StateKind, boolean, StateEntry[]];
      return { name, kind, ttl, entries };
    }),
  };
  return snapshot;
}
