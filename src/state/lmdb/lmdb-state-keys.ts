// The byte layout of the LMDB backend's keys, so that one key group's entries are contiguous:
// [key group u16][name length u8][state name utf8][key length u16][key msgpack][map: user key msgpack].
// Keys are handled as latin1 strings (one char per byte: hashable, cheap to concatenate) and
// turned into bytes only at the LMDB edge. Pure: no I/O.

import { Packr } from "msgpackr";
import { denormalizeKey, normalizeKey } from "../state-table.ts";

/** lmdb-js's default maximum key size, in bytes. */
export const MAX_KEY_BYTES = 1978;

const packr = new Packr({ useRecords: false });

/** A byte array as a latin1 string: one char per byte. */
function bytesToString(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/**
 * The msgpack bytes of a (normalized) key as a latin1 string. Short ASCII strings and small
 * non-negative integers — most keys — are written by hand, with the same bytes msgpackr writes.
 */
export function packedString(normalized: unknown): string {
  if (typeof normalized === "string" && normalized.length < 32) {
    let ascii = true;
    for (let i = 0; i < normalized.length && ascii; i++) ascii = normalized.charCodeAt(i) < 0x80;
    if (ascii) return String.fromCharCode(0xa0 | normalized.length) + normalized;
  } else if (typeof normalized === "number" && normalized >= 0 && normalized < 0x80 && Number.isInteger(normalized) && !Object.is(normalized, -0)) {
    return String.fromCharCode(normalized);
  }
  return bytesToString(packr.pack(normalized));
}

/** The state key's part of an LMDB key: its length (u16) and its normalized value's msgpack bytes. */
export function keyPartOf(normalizedKey: unknown): string {
  const packed = packedString(normalizedKey);
  if (packed.length > 0xffff) throw new Error(`a state key of ${packed.length} bytes is too large for the LMDB state backend`);
  return String.fromCharCode(packed.length >> 8, packed.length & 0xff) + packed;
}

/** A map state's user key as it follows the state key in an LMDB key. */
export function userKeyPartOf(userKey: unknown): string {
  return packedString(normalizeKey(userKey));
}

/** The first bytes of every entry of one state in one key group. */
export function tablePrefix(keyGroup: number, name: string): string {
  const bytes = latin1Name(name);
  if (bytes.length > 0xff) throw new Error(`state name ${JSON.stringify(name)} is longer than 255 bytes: the LMDB state backend cannot store it`);
  return groupPrefix(keyGroup) + String.fromCharCode(bytes.length) + bytes;
}

/** The first two bytes of every entry of one key group. */
export function groupPrefix(keyGroup: number): string {
  return String.fromCharCode(keyGroup >> 8, keyGroup & 0xff);
}

/** The smallest key after every key that starts with `prefix` (the exclusive end of a range scan). */
export function prefixEnd(prefix: string): string {
  let end = prefix.length;
  while (end > 0 && prefix.charCodeAt(end - 1) === 0xff) end--;
  if (end === 0) throw new Error("a key prefix of only 0xff bytes has no end");
  return prefix.slice(0, end - 1) + String.fromCharCode(prefix.charCodeAt(end - 1) + 1);
}

/** An LMDB key taken apart (the state key still encoded: keyOfPart decodes it). */
export interface ParsedStateKey {
  keyGroup: number;
  /** The state name's UTF-8 bytes as a latin1 string (see latin1Name). */
  latin1Name: string;
  /** The state key's part (length and bytes), as keyPartOf returns it. */
  keyPart: string;
  /** The map state's user key part, or "" for the other kinds. */
  userKeyPart: string;
}

/** Reads back an LMDB key written with the layout above. */
export function parseStateKey(key: string): ParsedStateKey {
  const keyGroup = (key.charCodeAt(0) << 8) | key.charCodeAt(1);
  const nameLength = key.charCodeAt(2);
  const at = 3 + nameLength;
  const keyLength = (key.charCodeAt(at) << 8) | key.charCodeAt(at + 1);
  return { keyGroup, latin1Name: key.slice(3, at), keyPart: key.slice(at, at + 2 + keyLength), userKeyPart: key.slice(at + 2 + keyLength) };
}

/** A state name as it appears in keys: its UTF-8 bytes, one char per byte. */
export function latin1Name(name: string): string {
  return Buffer.from(name, "utf8").toString("latin1");
}

/** The value whose msgpack bytes the latin1 string holds. */
export function unpackString(packed: string): unknown {
  return packr.unpack(Buffer.from(packed, "latin1"));
}

/** A state key part back to the key as the user gave it (objects as their JSON value). */
export function keyOfPart(keyPart: string): unknown {
  return denormalizeKey(unpackString(keyPart.slice(2)));
}

/** A user key part back to the user key. */
export function userKeyOfPart(userKeyPart: string): unknown {
  return denormalizeKey(unpackString(userKeyPart));
}
