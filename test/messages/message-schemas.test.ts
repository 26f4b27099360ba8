// The message schemas against the types and the codec: every message type has a schema, the types
// are the schemas' static types, a valid message of each type passes, every required field left out
// is rejected with a path naming it, and the walk that names a problem agrees with the compiled check.

import type { Static, TSchema } from "@sinclair/typebox";
import { KindGuard } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { Value } from "@sinclair/typebox/value";
import fc from "fast-check";
import { Packr } from "msgpackr";
import { describe, expect, expectTypeOf, it } from "vitest";
import { decode } from "../../src/messages/codec.ts";
import { compileCheck, firstProblem } from "../../src/messages/schema-check.ts";
import { MESSAGE_SCHEMAS, type Message, type MessageType } from "../../src/messages/schema.ts";
import { SAMPLE_TYPES, SAMPLES } from "../fuzz/samples.ts";

const packr = new Packr({ useRecords: false, moreTypes: false });
const raw = (value: unknown): Uint8Array => packr.pack(value);
const clone = <T>(value: T): T => structuredClone(value);

/** Every required field of `value`'s schema, as [path of its object, field], found through the members `value` takes. */
function requiredFields(schema: TSchema, value: unknown, path: string): [string, string][] {
  if (KindGuard.IsUnion(schema)) {
    const member = schema.anyOf.find((m) => Value.Check(m, value));
    return member ? requiredFields(member, value, path) : [];
  }
  if (KindGuard.IsArray(schema) && Array.isArray(value) && value.length > 0) return requiredFields(schema.items, value[0], `${path}[0]`);
  if (!KindGuard.IsObject(schema) || typeof value !== "object" || value === null) return [];
  const record = value as Record<string, unknown>;
  const own = (schema.required ?? []).map((key): [string, string] => [path, key]);
  const nested = Object.entries(schema.properties).flatMap(([key, field]) => (record[key] === undefined ? [] : requiredFields(field, record[key], `${path}.${key}`)));
  return [...own, ...nested];
}

/** `value` with the field at `path` (from `$`, as requiredFields names it) deleted. */
function without(value: unknown, path: string, key: string): unknown {
  const copy = clone(value);
  let node = copy as Record<string, unknown>;
  for (const step of path.slice(1).match(/\.[^.[]+|\[\d+\]/g) ?? []) {
    node = (step.startsWith("[") ? (node as unknown as unknown[])[Number(step.slice(1, -1))] : node[step.slice(1)]) as Record<string, unknown>;
  }
  delete node[key];
  return copy;
}

describe("message schemas", () => {
  it("every message type has a schema whose type field is that type, and nothing else has one", () => {
    expect(Object.keys(MESSAGE_SCHEMAS).sort()).toEqual([...SAMPLE_TYPES].sort());
    for (const [type, schema] of Object.entries(MESSAGE_SCHEMAS)) expect(schema.properties.type.const).toBe(type);
  });

  it("each message type is its schema's static type", () => {
    expectTypeOf<{ [T in MessageType]: Static<(typeof MESSAGE_SCHEMAS)[T]> }>().toEqualTypeOf<{ [T in MessageType]: Extract<Message, { type: T }> }>();
  });

  it.each(SAMPLE_TYPES)("a valid %s passes its compiled schema and the walk finds no problem", (type) => {
    const schema = MESSAGE_SCHEMAS[type];
    expect(TypeCompiler.Compile(schema).Check(SAMPLES[type])).toBe(true);
    expect(compileCheck(schema)(SAMPLES[type])).toBeUndefined();
  });

  // monitor-reply is left out: all its fields are optional.
  it.each(SAMPLE_TYPES.filter((type) => type !== "monitor-reply"))("each required field left out of a %s is rejected as invalid, naming its path", (type) => {
    const fields = requiredFields(MESSAGE_SCHEMAS[type], SAMPLES[type], "$").filter(([path, key]) => !(path === "$" && (key === "type" || key === "v")));
    expect(fields.length).toBeGreaterThan(0);
    const misjudged = fields
      .map(([path, key]) => ({ field: `${path}.${key}`, outcome: decode(raw(without(SAMPLES[type], path, key))) }))
      .filter(({ field, outcome }) => outcome.ok || outcome.reason !== "invalid" || !outcome.detail.startsWith(`${field}: expected `));
    expect(misjudged).toEqual([]);
  });

  it("a frame's required fields are found down to its element kinds", () => {
    const paths = requiredFields(MESSAGE_SCHEMAS.frame, SAMPLES.frame, "$").map(([path, key]) => `${path}.${key}`);
    expect(paths).toEqual(["$.type", "$.v", "$.seq", "$.producer", "$.token", "$.elements", "$.elements[0].kind", "$.elements[0].records"]);
  });

  it.each<[string, unknown, string | undefined]>([
    ["-Infinity where a number belongs", { ...SAMPLES.heartbeat, timestamp: -Infinity }, undefined],
    ["+Infinity where a number belongs", { ...SAMPLES.heartbeat, timestamp: Infinity }, undefined],
    ["NaN where a number belongs", { ...SAMPLES.heartbeat, timestamp: NaN }, "$.timestamp: expected a number"],
    ["an integer beyond 2^53", { ...SAMPLES.heartbeat, slots: 2 ** 53 }, "$.slots: expected an integer"],
    ["a BigInt where an integer belongs", { ...SAMPLES.heartbeat, slots: 4n }, "$.slots: expected an integer"],
    ["nil for an optional field", { ...SAMPLES["task-state"], error: null }, undefined],
    ["nil for a required field", { ...SAMPLES["task-state"], workerId: null }, "$.workerId: expected an id of letters, digits, '-' and '_' (at most 128)"],
    ["an id of 129 characters", { ...SAMPLES["cancel-job"], jobId: "j".repeat(129) }, "$.jobId: expected an id of letters, digits, '-' and '_' (at most 128)"],
    ["a field the schema does not name", { ...SAMPLES["cancel-job"], extra: { any: "thing" } }, undefined],
    ["records that are not checked one by one", { ...SAMPLES.frame, elements: [{ kind: "records", records: [undefined, NaN, 2n ** 70n] }] }, undefined],
    ["timestamps that are not an array", { ...SAMPLES.frame, elements: [{ kind: "records", records: [], timestamps: 3 }] }, "$.elements[0].timestamps: expected an array"],
    ["inline state that is not bytes", { ...SAMPLES["checkpoint-ack"], handle: { kind: "inline", bytes: "AQID", digest: "ab" } }, "$.handle.bytes: expected bytes"],
    ["a bundle artifact without its arguments", { ...SAMPLES["submit-job"], artifact: { kind: "bundle", digest: `sha256:${"0".repeat(64)}`, module: "j.ts", cwd: "/" } }, "$.artifact.args: expected an array"],
    ["a bundle artifact whose digest is not a SHA-256", { ...SAMPLES["submit-job"], artifact: { kind: "bundle", digest: "sha256:../../etc/passwd", module: "j.ts", args: [], cwd: "/" } }, '$.artifact.digest: expected a digest "sha256:<64 lowercase hex digits>"'],
    ["a module path where a bundle belongs (workers load no paths)", { ...SAMPLES["submit-job"], artifact: { kind: "module", path: "/j.ts", args: [], cwd: "/" } }, "$.artifact.kind: expected one of bundle|in-process"],
    ["a restart strategy without its delay", { ...SAMPLES["submit-job"], jobGraph: { ...SAMPLES["submit-job"].jobGraph, config: { ...SAMPLES["submit-job"].jobGraph.config, restartStrategy: { kind: "fixed-delay", attempts: 3 } } } }, "$.jobGraph.config.restartStrategy.delayMs: expected a number"],
    ["a handle of an unknown kind", { ...SAMPLES["checkpoint-ack"], handle: { kind: "s3" } }, "$.handle.kind: expected one of inline|blob"],
    ["a message that is not an object", 7, "$: expected an object"],
  ])("%s: the schema's verdict", (_, value, problem) => {
    const type = (value as { type?: MessageType }).type ?? "credit";
    expect(compileCheck(MESSAGE_SCHEMAS[type])(value)).toBe(problem);
  });

  it("the walk that names a problem agrees with the compiled check on mutated messages", () => {
    const compiled = Object.fromEntries(SAMPLE_TYPES.map((type) => [type, TypeCompiler.Compile(MESSAGE_SCHEMAS[type])]));
    const leaves = (value: unknown, path: (string | number)[] = []): (string | number)[][] => {
      if (Array.isArray(value)) return [path, ...value.flatMap((item, i) => leaves(item, [...path, i]))];
      if (typeof value === "object" && value !== null && !(value instanceof Uint8Array)) return [path, ...Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]))];
      return [path];
    };
    const replacement = fc.oneof(fc.anything({ withBigInt: true, withNullPrototype: false }), fc.constantFrom(null, undefined, NaN, Infinity, -1.5, 2 ** 60, "", "a.b", "idle", "inline", "records", new Uint8Array(2)));
    fc.assert(
      fc.property(fc.constantFrom(...SAMPLE_TYPES), fc.nat(), replacement, (type, pick, replacementValue) => {
        const message = clone(SAMPLES[type]) as unknown as Record<string, unknown>;
        const paths = leaves(message).filter((p) => p.length > 0);
        const path = paths[pick % paths.length];
        let node = message as Record<string | number, unknown>;
        for (const step of path.slice(0, -1)) node = node[step] as Record<string | number, unknown>;
        node[path[path.length - 1]] = replacementValue;
        const accepted = compiled[type].Check(message);
        expect(firstProblem(MESSAGE_SCHEMAS[type], message, "$") === undefined).toBe(accepted);
      }),
      { numRuns: 3000 },
    );
  });
});
