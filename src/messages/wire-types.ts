// The building blocks of every message schema: TypeBox types with the bus's rules. Ids that end up
// in subjects are subject tokens, integers are safe integers, numbers may be infinite but not NaN,
// and an optional field may be absent or nil (what other msgpack encoders send for "none").

import { Kind, Type, TypeRegistry, type Static, type TOptional, type TSchema, type TUnsafe } from "@sinclair/typebox";

/** TypeBox's Number refuses ±Infinity, which watermarks and samples carry (-Infinity before the first watermark). */
const NUMBER_KIND = "WeirNumber";
/** User records and timestamps are only checked to be arrays: validating a frame does no per-record work. */
const OPAQUE_ARRAY_KIND = "WeirOpaqueArray";
TypeRegistry.Set(NUMBER_KIND, (_, value) => typeof value === "number" && !Number.isNaN(value));
TypeRegistry.Set(OPAQUE_ARRAY_KIND, (_, value) => Array.isArray(value));

/** The same rule as the subject builder's (src/bus/subjects.ts), checked where messages enter. */
const SUBJECT_TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * A schema option that rejections quote: "<path>: expected <phrase>". Leaves without it get the
 * phrase of their kind (schema-check.ts).
 */
export const EXPECTED = "expected";

/** A string usable as one NATS subject token (an id that ends up in subjects): letters, digits, '-' and '_'. */
export const token = () => Type.String({ pattern: SUBJECT_TOKEN.source, [EXPECTED]: "an id of letters, digits, '-' and '_' (at most 128)" });

/** A safe integer: one a JavaScript number holds exactly (a BigInt, as msgpack's int64 decodes, is refused). */
export const int = () => Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER });

/** Any number but NaN: ±Infinity included. */
export const numeric = (): TUnsafe<number> => Type.Unsafe<number>({ [Kind]: NUMBER_KIND, [EXPECTED]: "a number" });

/** An array whose items are not checked (user records): one Array.isArray, however long it is. */
export const opaqueArray = <T = unknown>(): TUnsafe<T[]> => Type.Unsafe<T[]>({ [Kind]: OPAQUE_ARRAY_KIND, [EXPECTED]: "an array" });

/** One of a few strings; the rejection lists them. */
export function oneOf<const T extends readonly string[]>(...values: T): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>(Type.Union(values.map((value) => Type.Literal(value))));
}

/** A field that may be absent, undefined or nil; its TypeScript type is `field?: T`, as consumers have always read it. */
export function optional<T extends TSchema>(schema: T): TOptional<TUnsafe<Static<T>>> {
  return Type.Optional(Type.Unsafe<Static<T>>(Type.Union([schema, Type.Null()])));
}
