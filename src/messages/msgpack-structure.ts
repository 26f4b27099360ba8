// A scan of msgpack bytes before they are decoded: how deep containers nest, and which extension
// types occur. Decoding is recursive, so without it nesting near the stack's limit decodes in one
// call context and overflows in another — the same bytes accepted by one process and rejected by
// the next. The scan is iterative and allocation-free, so its verdict depends on the bytes alone.

/** Containers nest at most this deep on the bus (decoding overflows the stack at ~5,000). */
export const MAX_NESTING = 512;

/**
 * Extension types decoded by reading further msgpack items (errors, sets, regexps, bundled
 * strings), records, and structured-clone references: weir's encoder never writes them, and they
 * would nest past the scan or carry decoder state, so they are refused. Self-contained extensions
 * (timestamps, typed arrays) are left to the decoder.
 */
const REFUSED_EXTENSIONS = new Set([0x62, 0x65, 0x69, 0x70, 0x72, 0x73, 0x78]);

/** Per header byte 0xc0–0xdf: the bytes that follow it, for fixed-size kinds (-1: not fixed-size). */
const FIXED_SIZE = table(-1, [[0xc0, 0], [0xc1, 0], [0xc2, 0], [0xc3, 0], [0xca, 4], [0xcb, 8], [0xcc, 1], [0xcd, 2], [0xce, 4], [0xcf, 8], [0xd0, 1], [0xd1, 2], [0xd2, 4], [0xd3, 8]]);
/** Per header byte: how many bytes give the length (strings, binaries, extensions, containers). */
const LENGTH_BYTES = table(0, [[0xc4, 1], [0xc5, 2], [0xc6, 4], [0xd9, 1], [0xda, 2], [0xdb, 4], [0xc7, 1], [0xc8, 2], [0xc9, 4], [0xdc, 2], [0xdd, 4], [0xde, 2], [0xdf, 4]]);
/** Per header byte: the payload size of a fixed-size extension. */
const FIXED_EXT = table(0, [[0xd4, 1], [0xd5, 2], [0xd6, 4], [0xd7, 8], [0xd8, 16]]);

function table(fill: number, entries: [number, number][]): Int8Array {
  const t = new Int8Array(256).fill(fill);
  for (const [head, value] of entries) t[head] = value;
  return t;
}

/**
 * Returns why `bytes` may not be decoded (too deep, a refused extension), or undefined. Never
 * throws; truncated or otherwise broken input is left for the decoder to report.
 * @example structureProblem(Uint8Array.from([0x91, 0x91, 0xc0]), 1) // "containers nest deeper than 1"
 */
export function structureProblem(bytes: Uint8Array, maxDepth = MAX_NESTING): string | undefined {
  // remaining[d]: items still to read in the container open at depth d (depth 0: the top item).
  const remaining: number[] = [1];
  let depth = 0;
  let pos = 0;
  const length = bytes.length;
  const uint = (at: number, size: number) => {
    let value = 0;
    for (let i = 0; i < size; i++) value = value * 256 + bytes[at + i];
    return value;
  };
  while (pos < length) {
    while (depth >= 0 && remaining[depth] === 0) depth -= 1;
    if (depth < 0) return undefined;
    remaining[depth] -= 1;
    const head = bytes[pos++];
    let items = 0;
    if (head <= 0x7f || head >= 0xe0) continue;
    if (head <= 0x8f) items = (head & 0x0f) * 2;
    else if (head <= 0x9f) items = head & 0x0f;
    else if (head <= 0xbf) {
      pos += head & 0x1f;
      continue;
    } else if (FIXED_SIZE[head] >= 0) {
      pos += FIXED_SIZE[head];
      continue;
    } else {
      const skip = variableSize(head, pos, length, uint);
      if (skip === undefined) return undefined;
      if (skip.ext !== undefined && REFUSED_EXTENSIONS.has(skip.ext)) return `extension type 0x${skip.ext.toString(16)} is not accepted on the bus`;
      if (skip.items === undefined) {
        pos = skip.next;
        continue;
      }
      items = skip.items;
      pos = skip.next;
    }
    if (items === 0) continue;
    depth += 1;
    if (depth > maxDepth) return `containers nest deeper than ${maxDepth}`;
    remaining[depth] = items;
  }
  return undefined;
}

/** Strings, binaries, extensions and long containers: where the next item starts, the extension type, the item count. */
function variableSize(
  head: number,
  pos: number,
  length: number,
  uint: (at: number, size: number) => number,
): { next: number; ext?: number; items?: number } | undefined {
  if (FIXED_EXT[head] > 0) return pos < length ? { next: pos + 1 + FIXED_EXT[head], ext: uint(pos, 1) } : undefined;
  const size = LENGTH_BYTES[head];
  if (size === 0 || pos + size > length) return undefined;
  const n = uint(pos, size);
  if (head >= 0xdc) return { next: pos + size, items: head >= 0xde ? n * 2 : n };
  if (head >= 0xc7 && head <= 0xc9) return pos + size < length ? { next: pos + size + 1 + n, ext: uint(pos + size, 1) } : undefined;
  return { next: pos + size + n };
}
