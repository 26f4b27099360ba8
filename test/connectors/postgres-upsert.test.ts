// The upsert mode's pure parts: a batch keeps each key's last row (one statement may not update a
// row twice), and the ON CONFLICT clause it sends.

import { describe, expect, it } from "vitest";
import { lastRowPerKey, onConflictClause } from "../../src/connectors/postgres-upsert.ts";

describe("the PostgreSQL sink's upsert batches", () => {
  it("keep each key's last row, in the order of those last rows", () => {
    const rows = [
      [1, "a", 1],
      [2, "a", 1],
      [1, "a", 2],
      [1, "b", 1],
      [2, "a", 3],
    ];
    expect(lastRowPerKey(rows, [0])).toEqual([
      [1, "b", 1],
      [2, "a", 3],
    ]);
    expect(lastRowPerKey(rows, [0, 1])).toEqual([
      [1, "a", 2],
      [1, "b", 1],
      [2, "a", 3],
    ]);
  });

  it("tell keys apart by value and type, dates by their instant", () => {
    const rows = [
      [new Date(1000), 1],
      [new Date(1000), 2],
      [null, 3],
      ["null", 4],
      [null, 5],
    ];
    expect(lastRowPerKey(rows, [0])).toEqual([
      [new Date(1000), 2],
      ["null", 4],
      [null, 5],
    ]);
  });

  it("update every column but the key's, or do nothing when the key is every column", () => {
    expect(onConflictClause(["key", "count", "value"], ["key"])).toBe(' ON CONFLICT ("key") DO UPDATE SET "count" = EXCLUDED."count", "value" = EXCLUDED."value"');
    expect(onConflictClause(["a", "b"], ["b", "a"])).toBe(' ON CONFLICT ("b", "a") DO NOTHING');
  });
});
