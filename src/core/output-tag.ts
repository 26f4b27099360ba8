// Side outputs: a typed tag names an extra output of an operator (Flink's OutputTag).

import { isSubjectToken } from "./tokens.ts";

export class OutputTag<T> {
  /** Phantom field carrying the element type. */
  declare readonly __type?: T;

  constructor(readonly id: string) {
    if (!id || !isSubjectToken(id)) throw new Error(`OutputTag id ${JSON.stringify(id)} must be non-empty and use only letters, digits, '-' and '_'`);
  }
}
