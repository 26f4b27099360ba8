// Tiny structural validators for decoded control messages: decoded bytes are `unknown` until checked.
// Receives plain values from msgpack; returns the first problem found as a path and a reason.

export type Shape =
  | "string"
  /** A string usable as one NATS subject token (an id that ends up in subjects): letters, digits, '-' and '_'. */
  | "token"
  | "int"
  | "number"
  | "boolean"
  | "unknown"
  | "array"
  | { optional: Shape }
  | { array: Shape }
  | { object: Record<string, Shape> }
  | { variants: string; cases: Record<string, Shape> }
  | { oneOf: readonly (string | number)[] };

export const optional = (shape: Shape): Shape => ({ optional: shape });
export const arrayOf = (shape: Shape): Shape => ({ array: shape });
export const object = (fields: Record<string, Shape>): Shape => ({ object: fields });
export const oneOf = (...values: (string | number)[]): Shape => ({ oneOf: values });
/** A tagged union: the field `tag` picks which case's shape the value must have. */
export const variants = (tag: string, cases: Record<string, Shape>): Shape => ({ variants: tag, cases });

/** Returns undefined when `value` fits `shape`, else a message naming the offending path. */
export function checkShape(value: unknown, shape: Shape, path = "$"): string | undefined {
  if (typeof shape === "string") return checkPrimitive(value, shape, path);
  if ("optional" in shape) return value === undefined || value === null ? undefined : checkShape(value, shape.optional, path);
  if ("oneOf" in shape) {
    return shape.oneOf.includes(value as string | number) ? undefined : `${path}: expected one of ${shape.oneOf.join("|")}`;
  }
  if ("variants" in shape) {
    const tag = (value as Record<string, unknown> | null)?.[shape.variants];
    if (typeof tag !== "string" || !Object.hasOwn(shape.cases, tag)) return `${path}.${shape.variants}: expected one of ${Object.keys(shape.cases).join("|")}`;
    return checkShape(value, shape.cases[tag], path);
  }
  if ("array" in shape) {
    if (!Array.isArray(value)) return `${path}: expected an array`;
    for (let i = 0; i < value.length; i++) {
      const problem = checkShape(value[i], shape.array, `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return `${path}: expected an object`;
  const record = value as Record<string, unknown>;
  for (const [key, fieldShape] of Object.entries(shape.object)) {
    const problem = checkShape(record[key], fieldShape, `${path}.${key}`);
    if (problem) return problem;
  }
  return undefined;
}

/** The same rule as the subject builder's (src/bus/subjects.ts), checked where messages enter. */
const SUBJECT_TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

function checkPrimitive(value: unknown, shape: "string" | "token" | "int" | "number" | "boolean" | "unknown" | "array", path: string) {
  switch (shape) {
    case "token":
      return typeof value === "string" && SUBJECT_TOKEN.test(value) ? undefined : `${path}: expected an id of letters, digits, '-' and '_' (at most 128)`;
    case "array":
      return Array.isArray(value) ? undefined : `${path}: expected an array`;
    case "unknown":
      return undefined;
    case "string":
      return typeof value === "string" ? undefined : `${path}: expected a string`;
    case "boolean":
      return typeof value === "boolean" ? undefined : `${path}: expected a boolean`;
    case "number":
      return typeof value === "number" && !Number.isNaN(value) ? undefined : `${path}: expected a number`;
    case "int":
      return Number.isSafeInteger(value) ? undefined : `${path}: expected an integer`;
  }
}
