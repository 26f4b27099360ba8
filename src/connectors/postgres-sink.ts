// A PostgreSQL sink that writes every record exactly once across failures, without prepared
// (two-phase) transactions: a write-ahead sink, like Flink's GenericWriteAheadSink. Rows are
// staged in operator state at each barrier and inserted once that checkpoint has completed, in
// one transaction with a row in `weir_sink_commits` naming the sink, the subtask and the epoch
// (the job that staged it and the checkpoint); an epoch already recorded there is skipped, so a
// replay after a failure never inserts twice. Rows after the last periodic checkpoint are staged
// by the subtask's final checkpoint, taken after the end of input, and inserted once it has
// completed. Without periodic checkpoints, rows are inserted as they come (each event-loop
// turn's rows in one statement). In upsert mode each row replaces the one with its key
// (`INSERT … ON CONFLICT (key) DO UPDATE`), and an epoch keeps only each key's last row.

import { UnrecoverableError } from "../core/errors.ts";
import pg from "pg";
import type { OperatorContext } from "../operators/operator.ts";
import { checkUpsertKey, lastRowPerKey, onConflictClause, upsertProblems } from "./postgres-upsert.ts";
import type { SinkConnector } from "./sink-connector.ts";
import { type StagedEpoch, WriteAheadSink } from "./write-ahead-sink.ts";

export interface PostgresSinkOptions<T> {
  /** e.g. `postgres://weir@127.0.0.1:5432/analytics` (libpq's environment variables fill gaps). */
  connectionString: string;
  /** The table rows go into; it must exist. */
  table: string;
  columns: readonly string[];
  /** One record's values, in the order of `columns`. */
  row: (record: T) => readonly unknown[];
  /** Rows per INSERT statement (default 500). */
  batchSize?: number;
  /** Names this sink's commits in `weir_sink_commits` (default: the table); keep it when the job restarts from a savepoint. */
  sinkId?: string;
  /** `append` (default): every record is a new row; `upsert`: a record replaces the row with its `key`. */
  mode?: "append" | "upsert";
  /** Upsert mode: the columns (among `columns`) of the table's primary key or a unique constraint. */
  key?: readonly string[];
}

const COMMITS_TABLE = `CREATE TABLE IF NOT EXISTS weir_sink_commits (
  sink_id text NOT NULL, subtask integer NOT NULL, epoch text NOT NULL, committed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sink_id, subtask, epoch))`;

/** Writes a stream into a PostgreSQL table, exactly once with checkpointing: `stream.sinkTo(postgresSink({ … }))`. */
export function postgresSink<T>(options: PostgresSinkOptions<T>): SinkConnector<T> {
  const problems: string[] = [];
  if (typeof options.connectionString !== "string" || options.connectionString.length === 0) problems.push("connectionString must be a postgres:// URL");
  if (typeof options.table !== "string" || options.table.length === 0) problems.push("table must name a table");
  if (!Array.isArray(options.columns) || options.columns.length === 0 || options.columns.some((c) => typeof c !== "string" || c.length === 0)) problems.push("columns must list at least one column name");
  if (typeof options.row !== "function") problems.push("row must be a function from a record to its column values");
  const batchSize = options.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1) problems.push(`batchSize must be a positive integer, got ${batchSize}`);
  problems.push(...upsertProblems(options));
  if (problems.length > 0) throw new Error(`postgresSink: ${problems.join("; ")}`);
  const settings = { ...options, batchSize, sinkId: options.sinkId ?? options.table, mode: options.mode ?? "append", key: options.key ?? [] };
  return { name: `PostgresSink(${options.table})`, createOperator: () => new PostgresSinkOperator(settings as Required<PostgresSinkOptions<unknown>>) };
}

/** A failed commit (the database is down) is logged and tried again after the next checkpoint. */
class PostgresSinkOperator extends WriteAheadSink<unknown[]> {
  private pool?: pg.Pool;
  private insert = "";
  /** `ON CONFLICT …` in upsert mode, empty in append mode. */
  private onConflict = "";
  /** Upsert mode: where the key's values sit in a row. */
  private readonly keyIndexes: number[];

  constructor(private readonly options: Required<PostgresSinkOptions<unknown>>) {
    super("weir.postgres-sink", true);
    this.keyIndexes = options.mode === "upsert" ? options.key.map((k) => options.columns.indexOf(k)) : [];
  }

  protected describe(): string {
    return `postgres sink ${this.options.sinkId}`;
  }

  protected async connect(ctx: OperatorContext): Promise<void> {
    const { table, columns, connectionString } = this.options;
    this.insert = `INSERT INTO ${escapeTable(table)} (${columns.map((c) => pg.escapeIdentifier(c)).join(", ")}) VALUES `;
    if (this.options.mode === "upsert") this.onConflict = onConflictClause(columns, this.options.key);
    this.pool = new pg.Pool({ connectionString, max: 2 });
    this.pool.on("error", (error) => ctx.log.warn({ err: error }, "postgres sink: an idle connection failed"));
    // A connection the server ends while it is in use (a restart, an administrator) fails the
    // statement it runs, which fails the subtask; its error event must not escape as an uncaught
    // exception and take the whole worker down.
    this.pool.on("connect", (client) => client.on("error", (error) => ctx.log.warn({ err: error }, "postgres sink: a connection failed")));
    try {
      await createCommitsTable(this.pool);
      // The table and its columns exist (and may be read): found out now, not at the first commit.
      await this.pool.query(`SELECT ${columns.map((c) => pg.escapeIdentifier(c)).join(", ")} FROM ${escapeTable(table)} LIMIT 0`);
      if (this.options.mode === "upsert") await checkUpsertKey(this.pool, escapeTable(table), table, this.options.key);
    } catch (error) {
      await this.disconnect();
      // The table cannot take upserts: the check says what to change.
      if (error instanceof UnrecoverableError) throw new UnrecoverableError(`${this.describe()}: ${error.message}`);
      const code = (error as { code?: string }).code;
      // A missing database, table or column, or a refused login or privilege: retrying cannot help.
      const Failure = code !== undefined && UNRECOVERABLE_SQLSTATES.has(code) ? UnrecoverableError : Error;
      throw new Failure(`${this.describe()}: cannot use ${redact(connectionString)}: ${(error as Error).message}`);
    }
  }

  protected async disconnect(): Promise<void> {
    await this.pool?.end();
    this.pool = undefined;
  }

  protected toItem(record: unknown): unknown[] {
    return [...this.options.row(record)];
  }

  /** Upsert mode: each key's last row only (one statement may not update a row twice). */
  protected override compact(rows: unknown[][]): unknown[][] {
    return this.keyIndexes.length === 0 ? rows : lastRowPerKey(rows, this.keyIndexes);
  }

  /** One transaction: the epoch's mark in `weir_sink_commits`, and its rows unless the mark was there. */
  protected async writeEpoch(staged: StagedEpoch<unknown[]>): Promise<void> {
    const client = await this.pool!.connect();
    try {
      await client.query("BEGIN");
      const marked = await client.query("INSERT INTO weir_sink_commits (sink_id, subtask, epoch) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [this.options.sinkId, staged.origin, epochName(staged)]);
      // Compacted again: an epoch restored from a savepoint of the sink in append mode was not.
      if (marked.rowCount === 1) await this.insertRows(client, this.compact(staged.items));
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Without checkpoints: this turn's rows, in one statement per batch, in order. */
  protected writeDirect(rows: unknown[][]): Promise<void> {
    return this.insertRows(this.pool!, this.compact(rows));
  }

  private async insertRows(client: pg.Pool | pg.PoolClient, rows: unknown[][]): Promise<void> {
    const width = this.options.columns.length;
    for (let start = 0; start < rows.length; start += this.options.batchSize) {
      const chunk = rows.slice(start, start + this.options.batchSize);
      const placeholders = chunk.map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(", ")})`).join(", ");
      await client.query(this.insert + placeholders + this.onConflict, chunk.flat());
    }
  }
}

/** `<jobId>/checkpoint-<id>`: a later run of the same job commits its own epochs; a restore (even from a savepoint into a new job) repeats the staged one's. */
function epochName(staged: StagedEpoch<unknown>): string {
  return `${staged.jobId}/${staged.epoch}`;
}

/** Concurrent subtasks may race to create the table: the loser's error is harmless. */
/** invalid_catalog_name, undefined_table, undefined_column, insufficient_privilege, invalid_authorization_specification, invalid_password. */
const UNRECOVERABLE_SQLSTATES = new Set(["3D000", "42P01", "42703", "42501", "28000", "28P01"]);

async function createCommitsTable(pool: pg.Pool): Promise<void> {
  try {
    await pool.query(COMMITS_TABLE);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== "23505" && code !== "42P07") throw error;
  }
}

/** `schema.table` or `table`, each part quoted. */
function escapeTable(table: string): string {
  return table
    .split(".")
    .map((part) => pg.escapeIdentifier(part))
    .join(".");
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}
