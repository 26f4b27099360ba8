// The PostgreSQL sink's upsert mode: its options check, its `ON CONFLICT (key) DO UPDATE` clause,
// the key check at open (the table must have a primary key or unique constraint on exactly the
// key's columns) and the compaction of a batch to each key's last row, since one statement may
// not update a row twice.

import pg from "pg";
import { UnrecoverableError } from "../core/errors.ts";

interface UpsertOptions {
  columns: readonly string[];
  mode?: string;
  key?: readonly string[];
}

/** What is wrong with the mode and key options (empty when nothing is). */
export function upsertProblems(options: UpsertOptions): string[] {
  const { mode, key } = options;
  if (mode !== undefined && mode !== "append" && mode !== "upsert") return [`mode must be "append" or "upsert", got ${JSON.stringify(mode)}`];
  if (mode !== "upsert") return key === undefined ? [] : ['key is only used with mode: "upsert"'];
  if (!Array.isArray(key) || key.length === 0 || key.some((k) => typeof k !== "string" || k.length === 0)) return ['mode "upsert" needs key: the columns of the table\'s primary key or a unique constraint'];
  const columns = Array.isArray(options.columns) ? options.columns : [];
  const missing = key.filter((k) => !columns.includes(k));
  if (missing.length > 0) return [`key column(s) ${missing.join(", ")} must be among columns`];
  if (new Set(key).size !== key.length) return ["key must not name a column twice"];
  return [];
}

/** ` ON CONFLICT (key) DO UPDATE SET c = EXCLUDED.c, …` (or `DO NOTHING` when every column is in the key). */
export function onConflictClause(columns: readonly string[], key: readonly string[]): string {
  const target = key.map((k) => pg.escapeIdentifier(k)).join(", ");
  const updated = columns.filter((c) => !key.includes(c)).map((c) => `${pg.escapeIdentifier(c)} = EXCLUDED.${pg.escapeIdentifier(c)}`);
  return updated.length === 0 ? ` ON CONFLICT (${target}) DO NOTHING` : ` ON CONFLICT (${target}) DO UPDATE SET ${updated.join(", ")}`;
}

/** Each key's last row, in the order of those last rows: a later row of a key replaces an earlier one. */
export function lastRowPerKey(rows: readonly unknown[][], keyIndexes: readonly number[]): unknown[][] {
  const last = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) last.set(keyOf(rows[i], keyIndexes), i);
  if (last.size === rows.length) return rows as unknown[][];
  return [...last.values()].sort((a, b) => a - b).map((i) => rows[i]);
}

function keyOf(row: readonly unknown[], keyIndexes: readonly number[]): string {
  let key = "";
  for (const i of keyIndexes) key += `${keyPart(row[i])}\u0000`;
  return key;
}

function keyPart(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (value instanceof Date) return `d${value.toISOString()}`;
  if (typeof value === "object") return `j${JSON.stringify(value)}`;
  return `v${String(value)}`;
}

/**
 * Throws an UnrecoverableError unless the table (`quotedTable`, its parts quoted) has a primary
 * key or a unique constraint, not deferrable, on exactly the key's columns: the arbiter `ON
 * CONFLICT (key)` needs.
 */
export async function checkUpsertKey(pool: pg.Pool, quotedTable: string, table: string, key: readonly string[]): Promise<void> {
  const { rows } = await pool.query<{ columns: string[]; immediate: boolean }>(
    `SELECT array(SELECT a.attname::text FROM unnest(i.indkey::int2[]) AS k JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k) AS columns, i.indimmediate AS immediate
       FROM pg_index i WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL`,
    [quotedTable],
  );
  const sameColumns = rows.filter((r) => r.columns.length === key.length && key.every((k) => r.columns.includes(k)));
  if (sameColumns.some((r) => r.immediate)) return;
  const list = key.join(", ");
  if (sameColumns.length > 0) throw new UnrecoverableError(`the unique constraint on (${list}) of table ${table} is deferrable, and ON CONFLICT cannot use it; make it NOT DEFERRABLE`);
  const others = rows.length === 0 ? "it has none" : `it has unique keys on ${rows.map((r) => `(${r.columns.join(", ")})`).join(", ")}`;
  throw new UnrecoverableError(
    `upsert key (${list}) needs a primary key or unique constraint on exactly those columns of table ${table} (${others}); add one (ALTER TABLE ${table} ADD PRIMARY KEY (${list}), or ADD UNIQUE (${list})) or set key to the columns of an existing one`,
  );
}
