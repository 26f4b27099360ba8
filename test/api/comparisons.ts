// Shared by the API end-to-end tests: output order across parallel subtasks is not deterministic,
// so results are compared sorted, against expectations computed here rather than by the job.

/** Numbers ascending, strings lexically: a total order for comparing unordered results. */
export function compare(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

export function sorted<T>(values: readonly T[]): T[] {
  return [...values].sort(compare);
}

/** from..to inclusive, computed here rather than by the job. */
export function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}
