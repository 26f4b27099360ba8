// weir's deep copier for user function objects. Receives any value; returns a copy that keeps every
// object's prototype (methods, instanceof), copies own data (arrays, Map, Set, Date, RegExp, binary
// data, nested plain objects and class instances) with cycles and shared references preserved, and
// keeps functions as they are. Throws UncopyableValueError, naming the path, for what it cannot copy.

import { types } from "node:util";
import { constructorName, whyUncopyable } from "./uncopyable-values.ts";

/** A value reachable from the copied one that cannot be copied faithfully; `path` says where it is. */
export class UncopyableValueError extends Error {
  constructor(
    readonly path: string,
    readonly what: string,
  ) {
    super(`${path} holds ${what}, which cannot be copied`);
    this.name = "UncopyableValueError";
  }
}

/** Arrays up to this length also get their named (non-index) properties copied; longer ones only their elements. */
const NAMED_PROPERTIES_LIMIT = 10_000;

/**
 * A deep copy of `value`. Objects keep their prototype; their own properties (string and symbol
 * keys, with their attributes) are copied; functions, accessors and primitives are kept as they are.
 * @example
 * const copy = deepCopy(new Counter(), "Counter"); // copy instanceof Counter, its own Map
 */
export function deepCopy<T>(value: T, rootLabel = "value"): T {
  return new Copier().copy(value, rootLabel) as T;
}

class Copier {
  // Original → copy: a cycle or a second reference to one object ends at the same copy.
  private readonly copies = new Map<object, object>();

  copy(value: unknown, path: string): unknown {
    if (typeof value !== "object" || value === null) return value;
    const known = this.copies.get(value);
    if (known !== undefined) return known;
    const reason = whyUncopyable(value);
    if (reason !== undefined) throw new UncopyableValueError(path, reason);
    const proto = Object.getPrototypeOf(value) as object | null;
    const copy = this.emptyLike(value, proto, path);
    // A subclass of a built-in (class Cache extends Map, a Buffer) gets its own prototype back.
    if (Object.getPrototypeOf(copy) !== proto) Object.setPrototypeOf(copy, proto);
    this.copies.set(value, copy);
    this.fill(value, copy, path);
    if (!Object.isExtensible(value)) Object.preventExtensions(copy);
    return copy;
  }

  /** A new object with `proto`, of the same built-in kind, holding the data that lives in internal slots. */
  private emptyLike(value: object, proto: object | null, path: string): object {
    if (Array.isArray(value)) return new Array<unknown>(value.length);
    if (types.isMap(value)) return new Map();
    if (types.isSet(value)) return new Set();
    if (types.isDate(value)) return new Date(value.getTime());
    if (types.isRegExp(value)) return new RegExp(value.source, value.flags);
    if (types.isArrayBuffer(value)) return value.slice(0);
    if (types.isTypedArray(value)) {
      const buffer = this.copy(value.buffer, `${path}.buffer`) as ArrayBuffer;
      const View = globalThis[value[Symbol.toStringTag] as TypedArrayName] as new (b: ArrayBuffer, offset: number, length: number) => object;
      return new View(buffer, value.byteOffset, value.length);
    }
    if (types.isDataView(value)) return new DataView(this.copy(value.buffer, `${path}.buffer`) as ArrayBuffer, value.byteOffset, value.byteLength);
    if (types.isBoxedPrimitive(value)) return Object((value as { valueOf(): unknown }).valueOf()) as object;
    return Object.create(proto) as object;
  }

  private fill(value: object, copy: object, path: string): void {
    if (types.isMap(value)) {
      for (const [k, v] of value) (copy as Map<unknown, unknown>).set(this.copy(k, `${path} (a Map key)`), this.copy(v, `${path}.get(${describeKey(k)})`));
    } else if (types.isSet(value)) {
      for (const element of value) (copy as Set<unknown>).add(this.copy(element, `${path} (a Set element)`));
    }
    if (Array.isArray(value) && value.length > NAMED_PROPERTIES_LIMIT) {
      this.copyElements(value, copy as unknown[], path);
      return;
    }
    // Elements of binary views live in their (copied) buffer; enumerating them would cost one key each.
    if (types.isTypedArray(value) && isBuiltInView(value)) return;
    for (const key of Reflect.ownKeys(value)) {
      if (key === "length" && Array.isArray(value)) continue;
      this.copyProperty(value, copy, key, path);
    }
  }

  private copyElements(value: unknown[], copy: unknown[], path: string): void {
    for (let i = 0; i < value.length; i++) if (i in value) copy[i] = this.copy(value[i], `${path}[${i}]`);
  }

  private copyProperty(value: object, copy: object, key: string | symbol, path: string): void {
    const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
    if (!("value" in descriptor)) {
      Object.defineProperty(copy, key, descriptor); // an accessor: its functions are kept
      return;
    }
    const copied = this.copy(descriptor.value, childPath(path, key, Array.isArray(value)));
    if (descriptor.writable && descriptor.enumerable && descriptor.configurable) (copy as Record<string | symbol, unknown>)[key] = copied;
    else Object.defineProperty(copy, key, { ...descriptor, value: copied });
  }
}

type TypedArrayName =
  | "Int8Array" | "Uint8Array" | "Uint8ClampedArray" | "Int16Array" | "Uint16Array" | "Int32Array" | "Uint32Array"
  | "Float32Array" | "Float64Array" | "BigInt64Array" | "BigUint64Array";

/** A typed array of a built-in class or a Buffer: no own properties besides its elements. */
function isBuiltInView(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as object;
  return proto === Buffer.prototype || (proto as { constructor?: unknown }).constructor === globalThis[constructorName(value) as TypedArrayName];
}

function childPath(path: string, key: string | symbol, inArray: boolean): string {
  if (typeof key === "symbol") return `${path}[${String(key)}]`;
  if (inArray && /^\d+$/.test(key)) return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function describeKey(key: unknown): string {
  if (typeof key === "string") return JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);
  if (typeof key === "object" && key !== null) return `a ${constructorName(key)}`;
  if (typeof key === "function") return "a function";
  return String(key);
}
