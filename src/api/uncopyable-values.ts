// Decides whether an object can be copied faithfully by weir's deep copier, and if not, says why in
// words a user can act on. Receives one object (never a primitive or a function); returns a reason
// or undefined. It only inspects the value, its prototype chain and its classes' source text (and,
// once, creates and clears one timer of each kind to learn Node's internal timer classes).

import { EventEmitter } from "node:events";
import { types } from "node:util";

/** Built-in classes whose instances the copier reproduces (or that are plain objects). */
const COPYABLE_NATIVES: ReadonlySet<unknown> = new Set<unknown>([
  Object, Array, Map, Set, Date, RegExp, ArrayBuffer, DataView,
  Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError,
  Number, String, Boolean, BigInt, Symbol,
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
  Object.getPrototypeOf(Int8Array) as unknown,
]);

const sourceOf = (fn: unknown): string => Function.prototype.toString.call(fn);
const isNativeFunction = (fn: unknown): boolean => /\{\s*\[native code\]\s*\}\s*$/.test(sourceOf(fn));
/** A class whose source uses ES private members (`this.#x`, `#x in o`): a copy would lack them. */
const PRIVATE_MEMBER = /\.#[A-Za-z_$]|#[A-Za-z_$][\w$]*\s+in\s/;

// What a class reveals does not change: decided once per constructor.
const classVerdicts = new WeakMap<object, string | null>();

/** Why `value` (a non-null object, not a function) cannot be deep-copied; undefined when it can. */
export function whyUncopyable(value: object): string | undefined {
  const builtIn = uncopyableBuiltIn(value);
  if (builtIn) return builtIn;
  for (let proto = Object.getPrototypeOf(value) as object | null; proto !== null; proto = Object.getPrototypeOf(proto) as object | null) {
    const ctor = Object.getOwnPropertyDescriptor(proto, "constructor")?.value as unknown;
    if (typeof ctor !== "function") continue;
    const verdict = classVerdict(ctor);
    if (verdict) return verdict;
  }
  return undefined;
}

function uncopyableBuiltIn(value: object): string | undefined {
  const name = constructorName(value);
  if (types.isProxy(value)) return "a Proxy (its handler and target cannot be copied)";
  if (types.isPromise(value)) return "a Promise (a pending result cannot be copied)";
  if (types.isWeakMap(value) || types.isWeakSet(value) || value instanceof WeakRef || value instanceof FinalizationRegistry) {
    return `a ${name} (weak references cannot be enumerated, so cannot be copied)`;
  }
  if (value instanceof EventEmitter) return `a ${name} (a Node.js EventEmitter, such as a socket, stream, server or child process: it is bound to a resource a copy would not own)`;
  if (value instanceof EventTarget) return `a ${name} (an EventTarget, bound to listeners and a resource a copy would not own)`;
  if (isTimer(value)) return `a ${name} (a timer from setTimeout, setInterval or setImmediate)`;
  if (types.isSharedArrayBuffer(value)) return "a SharedArrayBuffer (memory shared between threads on purpose)";
  if (types.isGeneratorObject(value) || types.isMapIterator(value) || types.isSetIterator(value)) return "an iterator (its position cannot be copied)";
  if (types.isKeyObject(value) || types.isCryptoKey(value)) return `a ${name} (a key held by the crypto engine)`;
  if (types.isExternal(value) || types.isModuleNamespaceObject(value)) return "an object of the runtime that cannot be copied";
  return undefined;
}

function classVerdict(ctor: object): string | undefined {
  let verdict = classVerdicts.get(ctor);
  if (verdict === undefined) {
    const name = (ctor as { name?: unknown }).name;
    const label = typeof name === "string" && name !== "" ? name : "anonymous class";
    if (isNativeFunction(ctor)) verdict = COPYABLE_NATIVES.has(ctor) ? null : `a ${label} (an object of the runtime with internal state a copy would not have)`;
    else verdict = PRIVATE_MEMBER.test(sourceOf(ctor)) ? `a ${label} (its class has private # members, which a copy would not have)` : null;
    classVerdicts.set(ctor, verdict);
  }
  return verdict ?? undefined;
}

/** The constructor name of `value`, for messages ("Socket", "Object"). */
export function constructorName(value: object): string {
  const ctor = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor;
  return typeof ctor?.name === "string" && ctor.name !== "" ? ctor.name : "Object";
}

// Node's Timeout and Immediate classes are internal: taken from one (cleared) timer of each kind.
let timerClasses: readonly object[] | undefined;
function isTimer(value: object): boolean {
  if (!timerClasses) {
    const timeout = setTimeout(() => {}, 0);
    clearTimeout(timeout);
    const immediate = setImmediate(() => {});
    clearImmediate(immediate);
    timerClasses = [Object.getPrototypeOf(timeout) as object, Object.getPrototypeOf(immediate) as object];
  }
  return timerClasses.some((proto) => Object.prototype.isPrototypeOf.call(proto, value));
}
