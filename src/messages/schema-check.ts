// Checks decoded values against the message schemas: a compiled TypeBox check decides, and only a
// value it refuses is walked again, to name the first problem as a path from `$` and a reason
// ("$.elements[1].kind: expected one of records|watermark|…") that rejections and logs quote.

import { Kind, KindGuard, type TObject, type TSchema, type TUnion } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { Value } from "@sinclair/typebox/value";
import { EXPECTED } from "./wire-types.ts";

/** Answers undefined when the value fits, else the first problem found. */
export type SchemaCheck = (value: unknown) => string | undefined;

/**
 * Compiles `schema` once; the returned check is what decoders call per value.
 * @example
 * const checkCredit = compileCheck(MESSAGE_SCHEMAS.credit);
 * checkCredit({ type: "credit", v: 1, consumer: 1.5, credits: 8 }) // "$.consumer: expected an integer"
 */
export function compileCheck(schema: TSchema): SchemaCheck {
  const compiled = TypeCompiler.Compile(schema);
  // The walk mirrors the compiled check; should they ever disagree, the value is still refused.
  return (value) => (compiled.Check(value) ? undefined : (firstProblem(schema, value, "$") ?? "$: does not fit the schema"));
}

/** Phrases for leaves whose schema names none (see EXPECTED in wire-types.ts). */
const PHRASES: Record<string, string> = {
  String: "a string",
  Integer: "an integer",
  Boolean: "a boolean",
  Uint8Array: "bytes",
  Array: "an array",
  Object: "an object",
  Null: "nil",
};

/** Returns undefined when `value` fits `schema`, else a message naming the offending path. Exported for tests. */
export function firstProblem(schema: TSchema, value: unknown, path: string): string | undefined {
  if (KindGuard.IsObject(schema)) return objectProblem(schema, value, path);
  if (KindGuard.IsUnion(schema)) return unionProblem(schema, value, path);
  if (KindGuard.IsArray(schema)) {
    if (!Array.isArray(value)) return expected(schema, path);
    for (let i = 0; i < value.length; i++) {
      const problem = firstProblem(schema.items, value[i], `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (KindGuard.IsLiteral(schema)) return value === schema.const ? undefined : `${path}: expected ${JSON.stringify(schema.const)}`;
  return Value.Check(schema, value) ? undefined : expected(schema, path);
}

function objectProblem(schema: TObject, value: unknown, path: string): string | undefined {
  if (!isRecord(value)) return expected(schema, path);
  for (const [key, field] of Object.entries(schema.properties)) {
    const fieldValue = value[key];
    if (fieldValue === undefined && !schema.required?.includes(key)) continue;
    if (fieldValue === undefined && (KindGuard.IsUnknown(field) || KindGuard.IsAny(field)) && !(key in value)) return `${path}.${key}: expected a value`;
    const problem = firstProblem(field, fieldValue, `${path}.${key}`);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * A union is one of three things here: a field that may be nil (optional), one of a few literals
 * (oneOf), or a tagged union whose members share a literal field (`kind`) that picks the member.
 */
function unionProblem(schema: TUnion, value: unknown, path: string): string | undefined {
  if (schema.anyOf.some((member) => firstProblem(member, value, path) === undefined)) return undefined;
  const members = schema.anyOf.filter((member) => !KindGuard.IsNull(member));
  if (members.length === 1) return firstProblem(members[0], value, path);
  if (members.every(KindGuard.IsLiteral)) return `${path}: expected one of ${members.map((m) => m.const).join("|")}`;
  const tag = tagOf(members);
  if (tag === undefined) return expected(schema, path);
  if (!isRecord(value)) return `${path}: expected an object`;
  const cases = members as TObject[];
  const chosen = cases.find((member) => member.properties[tag].const === value[tag]);
  if (!chosen) return `${path}.${tag}: expected one of ${cases.map((member) => member.properties[tag].const).join("|")}`;
  return firstProblem(chosen, value, path);
}

/** The field every member of a tagged union holds as a literal, if there is one. */
function tagOf(members: TSchema[]): string | undefined {
  if (!members.every(KindGuard.IsObject)) return undefined;
  const [first, ...rest] = members;
  return Object.keys(first.properties).find(
    (key) => KindGuard.IsLiteral(first.properties[key]) && rest.every((member) => KindGuard.IsLiteral(member.properties[key])),
  );
}

function expected(schema: TSchema, path: string): string {
  const phrase: unknown = schema[EXPECTED];
  return `${path}: expected ${typeof phrase === "string" ? phrase : (PHRASES[schema[Kind]] ?? "another value")}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
