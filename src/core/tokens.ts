// The shape of a name that can stand as one token of a bus subject (ids, tags): letters, digits,
// '-' and '_', so a dot or a wildcard can never change a subject's meaning.

export const TOKEN = /^[A-Za-z0-9_-]+$/;

/** True when `value` can be used as one subject token (ids, names). */
export function isSubjectToken(value: string): boolean {
  return TOKEN.test(value);
}
