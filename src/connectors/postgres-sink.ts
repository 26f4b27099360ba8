// A PostgreSQL sink that writes every record exactly once across failures, without prepared
// (two-phase) transactions: a write-ahead sink, like Flink's GenericWriteAheadSink. Rows are
// staged in operator state at each barrier and inserted once that checkpoint has completed, in
// one transaction with a row in `weir_sink_commits` naming the sink, the subtask and the epoch;
// an epoch already recorded there is skipped, so a replay after a failure never inserts twice.
// Rows after the last checkpoint are committed at the end of input under an epoch named after
// that checkpoint, which a replay of the same input repeats exactly. Without periodic
// checkpoints, rows are inserted as they come (each event-loop turn's rows in one statement).

import pg from "pg";
import { ListStateDescriptor } from "../core/state-descriptors.ts";
import type { ListState } from "../core/keyed-state.ts";
import { BaseOperator, type OperatorContext } from "../operators/operator.ts";
import type { FunctionSnapshotContext } from "../state/checkpointed-function.ts";
import type { SinkConnector } from "./sink-connector.ts";

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
}

interface Staged {
  /** `checkpoint-<id>`, or `end-after-<id>` for the rows after the last checkpoint. */
  epoch: string;
  checkpointId: number;
  /** The subtask that wrote these rows (kept across a restore at another parallelism). */
  origin: number;
  rows: unknown[][];
}

interface SinkState {
  origin: number;
  lastCheckpointId: number;
  staged: Staged[];
}

const STATE = new ListStateDescriptor<SinkState>("weir.postgres-sink");

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
  if (problems.length > 0) throw new Error(`postgresSink: ${problems.join("; ")}`);
  const settings = { ...options, batchSize, sinkId: options.sinkId ?? options.table };
  return { name: `PostgresSink(${options.table})`, createOperator: () => new PostgresSinkOperator(settings as Required<PostgresSinkOptions<unknown>>) };
}

class PostgresSinkOperator extends BaseOperator {
  private pool?: pg.Pool;
  private batch: unknown[][] = [];
  private staged: Staged[] = [];
  private state?: ListState<SinkState>;
  private lastCheckpointId = 0;
  /** Commits run one after another; each waits for the one before. */
  private commits: Promise<void> = Promise.resolve();
  private scheduled = false;
  private insert = "";
  /** Staged epochs whose commit is queued or running. */
  private readonly queued = new Set<Staged>();

  constructor(private readonly options: Required<PostgresSinkOptions<unknown>>) {
    super();
  }

  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    const { table, columns, connectionString } = this.options;
    this.insert = `INSERT INTO ${escapeTable(table)} (${columns.map((c) => pg.escapeIdentifier(c)).join(", ")}) VALUES `;
    this.pool = new pg.Pool({ connectionString, max: 2 });
    this.pool.on("error", (error) => ctx.log.warn({ err: error }, "postgres sink: an idle connection failed"));
    try {
      await createCommitsTable(this.pool);
    } catch (error) {
      throw new Error(`postgres sink ${this.options.sinkId}: cannot use ${redact(connectionString)}: ${(error as Error).message}`);
    }
    if (!ctx.checkpointing) return;
    this.state = ctx.operatorState.getListState(STATE);
    const restored = this.state.get();
    // Restored from a completed checkpoint: what it staged belongs to completed checkpoints.
    this.lastCheckpointId = Math.max(0, ...restored.map((s) => s.lastCheckpointId));
    this.staged = restored.flatMap((s) => s.staged);
    for (const staged of [...this.staged]) this.enqueue(staged);
    await this.commits;
  }

  process(record: unknown): void {
    this.batch.push([...this.options.row(record)]);
    if (this.state || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() =>
      this.guarded(() => {
        this.scheduled = false;
        this.writeDirect();
      }),
    );
  }

  snapshotState(ctx: FunctionSnapshotContext): void {
    if (!this.state) return;
    if (this.batch.length > 0) this.staged.push({ epoch: `checkpoint-${ctx.checkpointId}`, checkpointId: ctx.checkpointId, origin: this.ctx.subtaskIndex, rows: this.batch });
    this.batch = [];
    this.lastCheckpointId = ctx.checkpointId;
    this.state.update([{ origin: this.ctx.subtaskIndex, lastCheckpointId: this.lastCheckpointId, staged: this.staged }]);
  }

  notifyCheckpointComplete(checkpointId: number): void {
    for (const staged of this.staged) if (staged.checkpointId <= checkpointId) this.enqueue(staged);
  }

  override onWatermark(): void {}

  override async finish(): Promise<void> {
    if (!this.state) {
      this.writeDirect();
      await this.commits;
      return;
    }
    if (this.batch.length > 0) this.staged.push({ epoch: `end-after-${this.lastCheckpointId}`, checkpointId: this.lastCheckpointId, origin: this.ctx.subtaskIndex, rows: this.batch });
    this.batch = [];
    for (const staged of [...this.staged]) this.enqueue(staged);
    await this.commits;
    // A commit that failed leaves its rows staged: the subtask fails, and a restore commits them.
    if (this.staged.length > 0) throw new Error(`postgres sink ${this.options.sinkId}: ${this.staged.length} batch(es) could not be committed`);
  }

  override async close(): Promise<void> {
    await this.commits.catch(() => undefined);
    await this.pool?.end();
    this.pool = undefined;
  }

  /** Commits one staged epoch after those before it; on success it leaves the staged list. */
  private enqueue(staged: Staged): void {
    if (this.queued.has(staged)) return;
    this.queued.add(staged);
    this.commits = this.commits.then(async () => {
      try {
        await this.commitEpoch(staged);
        this.staged = this.staged.filter((s) => s !== staged);
      } catch (error) {
        this.ctx.log.warn({ err: error, epoch: staged.epoch, sink: this.options.sinkId }, "postgres sink: a commit failed; it is tried again at the next checkpoint");
      } finally {
        this.queued.delete(staged);
      }
    });
  }

  private async commitEpoch(staged: Staged): Promise<void> {
    const client = await this.pool!.connect();
    try {
      await client.query("BEGIN");
      const marked = await client.query("INSERT INTO weir_sink_commits (sink_id, subtask, epoch) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [this.options.sinkId, staged.origin, staged.epoch]);
      if (marked.rowCount === 1) await this.insertRows(client, staged.rows);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Without checkpoints: this turn's rows, in one statement per batch, in order. */
  private writeDirect(): void {
    if (this.batch.length === 0) return;
    const rows = this.batch;
    this.batch = [];
    this.commits = this.commits.then(() => this.insertRows(this.pool!, rows)).catch((error: Error) => this.ctx.fail(new Error(`postgres sink ${this.options.sinkId}: ${error.message}`)));
  }

  private async insertRows(client: pg.Pool | pg.PoolClient, rows: unknown[][]): Promise<void> {
    const width = this.options.columns.length;
    for (let start = 0; start < rows.length; start += this.options.batchSize) {
      const chunk = rows.slice(start, start + this.options.batchSize);
      const placeholders = chunk.map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(", ")})`).join(", ");
      await client.query(this.insert + placeholders, chunk.flat());
    }
  }
}

/** Concurrent subtasks may race to create the table: the loser's error is harmless. */
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
