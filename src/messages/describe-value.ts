// A short, safe description of any decoded value, for rejection details and logs. Receives
// whatever msgpack produced (BigInt, symbols, cycles, deep or huge values, extension objects,
// objects whose own `toString` is not a function); returns a bounded string and never throws.

const MAX_DEPTH = 3;
const MAX_ITEMS = 8;
const MAX_STRING = 64;
/** The description as a whole never exceeds this many characters. */
export const MAX_DESCRIPTION = 200;

/**
 * Describes `value` in at most MAX_DESCRIPTION characters, without calling anything the value
 * itself defines (no toString, toJSON, getters of its own), so no input can make it throw.
 * @example describeValue(2n ** 63n - 1n) // "9223372036854775807n"
 */
export function describeValue(value: unknown): string {
  try {
    return clip(describe(value, 0, new Set()), MAX_DESCRIPTION);
  } catch {
    return "<undescribable value>";
  }
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function quote(text: string): string {
  const shown = text.length <= MAX_STRING ? text : `${text.slice(0, MAX_STRING)}…(${text.length} chars)`;
  return JSON.stringify(shown);
}

function describe(value: unknown, depth: number, seen: Set<object>): string {
  switch (typeof value) {
    case "string":
      return quote(value);
    case "number":
    case "boolean":
    case "undefined":
      return String(value);
    case "bigint":
      return `${value.toString()}n`;
    case "symbol":
      return `Symbol(${value.description === undefined ? "" : quote(value.description)})`;
    case "function":
      return "<function>";
    default:
      break;
  }
  if (value === null) return "null";
  const object = value as object;
  if (seen.has(object)) return "<cycle>";
  if (depth >= MAX_DEPTH) return `<${kindOf(object)}>`;
  seen.add(object);
  try {
    return describeObject(object, depth, seen);
  } finally {
    seen.delete(object);
  }
}

/** The built-in kind of an object, read from its internal tag (not from anything it defines). */
function kindOf(object: object): string {
  if (Array.isArray(object)) return `array(${object.length})`;
  if (ArrayBuffer.isView(object)) return `bytes(${object.byteLength})`;
  const tag = Object.prototype.toString.call(object).slice(8, -1);
  return tag === "Object" ? "object" : tag;
}

function describeObject(object: object, depth: number, seen: Set<object>): string {
  if (Array.isArray(object)) return describeArray(object, depth, seen);
  if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer) return `<bytes(${object.byteLength})>`;
  if (object instanceof Date) {
    const time = Date.prototype.getTime.call(object);
    return Number.isNaN(time) ? "<invalid date>" : `<date ${new Date(time).toISOString()}>`;
  }
  if (object instanceof RegExp) return `<regexp ${quote(RegExp.prototype.toString.call(object))}>`;
  if (object instanceof Error) return `<error ${describe(Object.getOwnPropertyDescriptor(object, "message")?.value, depth + 1, seen)}>`;
  if (object instanceof Map) {
    const parts: string[] = [];
    for (const [key, item] of Map.prototype.entries.call(object) as IterableIterator<[unknown, unknown]>) {
      if (parts.length === MAX_ITEMS) return `Map(${object.size}) {${parts.join(", ")}, …}`;
      parts.push(`${describe(key, depth + 1, seen)} => ${describe(item, depth + 1, seen)}`);
    }
    return `Map(${object.size}) {${parts.join(", ")}}`;
  }
  if (object instanceof Set) return `Set(${object.size})`;
  const parts: string[] = [];
  for (const key of Reflect.ownKeys(object)) {
    if (parts.length === MAX_ITEMS) return `{${parts.join(", ")}, …}`;
    const descriptor = Object.getOwnPropertyDescriptor(object, key);
    const shown = descriptor && "value" in descriptor ? describe(descriptor.value, depth + 1, seen) : "<accessor>";
    parts.push(`${typeof key === "symbol" ? describe(key, depth + 1, seen) : quote(key)}: ${shown}`);
  }
  return kindOf(object) === "object" ? `{${parts.join(", ")}}` : `<${kindOf(object)} {${parts.join(", ")}}>`;
}

/** Holes are shown as such; only the first few slots are looked at, whatever the length. */
function describeArray(array: unknown[], depth: number, seen: Set<object>): string {
  const parts: string[] = [];
  const shown = Math.min(array.length, MAX_ITEMS);
  for (let i = 0; i < shown; i++) parts.push(Object.hasOwn(array, i) ? describe(array[i], depth + 1, seen) : "<hole>");
  return `[${parts.join(", ")}${array.length > shown ? `, …(${array.length} items)` : ""}]`;
}
