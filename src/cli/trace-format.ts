// Reading a trace file for people: each NDJSON line is parsed on its own (a broken line is shown
// as broken, never fatal), its payload decoded, filtered and rendered as one compact line or one
// JSON object. Pure: no I/O; `weir trace show` (trace-commands.ts) feeds it the file's text.

import { subjectMatches } from "../bus/bus.ts";
import type { TraceEntry } from "../bus/trace.ts";
import { decode, type DecodeOutcome } from "../messages/codec.ts";
import type { DataElement, Message } from "../messages/schema.ts";

/** One line of a trace file: an entry with its decoded payload, or why the line is not one. */
export type TraceLine =
  | { ok: true; line: number; entry: TraceEntry; decoded: DecodeOutcome }
  | { ok: false; line: number; error: string };

const KINDS: ReadonlySet<string> = new Set(["publish", "deliver", "reply"]);

/** Parses one line (1-based `line`) of a trace file. */
export function parseTraceLine(text: string, line: number): TraceLine {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, line, error: "not JSON" };
  }
  if (typeof raw !== "object" || raw === null) return { ok: false, line, error: "not a trace entry" };
  const r = raw as Record<string, unknown>;
  const missing = (["t", "kind", "actor", "subject", "data"] as const).filter((k) => (k === "t" ? typeof r[k] !== "number" : typeof r[k] !== "string"));
  if (missing.length > 0) return { ok: false, line, error: `not a trace entry (${missing.join(", ")} missing or of the wrong type)` };
  if (!KINDS.has(r.kind as string)) return { ok: false, line, error: `not a trace entry (kind ${JSON.stringify(r.kind)})` };
  const data = new Uint8Array(Buffer.from(r.data as string, "base64"));
  const entry: TraceEntry = { t: r.t as number, kind: r.kind as TraceEntry["kind"], actor: r.actor as string, subject: r.subject as string, data };
  if (typeof r.reply === "string") entry.reply = r.reply;
  return { ok: true, line, entry, decoded: decode(data) };
}

/** Parses a whole trace file's text, line by line (empty lines are skipped). */
export function parseTrace(text: string): TraceLine[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.flatMap((l, i) => (l.trim().length === 0 ? [] : [parseTraceLine(l, i + 1)]));
}

export interface TraceFilter {
  /** Actor name prefix, e.g. "job-master" or "subtask/abc". */
  actor?: string;
  job?: string;
  /** A NATS subject pattern (`*` one token, `>` the rest). */
  subject?: string;
  /** Message types to keep. */
  types?: readonly string[];
}

/** The job an entry belongs to: from its message, else its subject or actor; undefined if none. */
export function entryJobId(entry: TraceEntry, message: Message | undefined): string | undefined {
  if (message && "jobId" in message && typeof message.jobId === "string") return message.jobId;
  if (message && "task" in message) return message.task.jobId;
  const bySubject = /^weir\.(?:job|data|credit)\.([^.]+)\./.exec(entry.subject);
  if (bySubject) return bySubject[1];
  const byActor = /^job-master\/(.+)$/.exec(entry.actor);
  return byActor?.[1];
}

/** Whether a parsed line passes the filter; broken lines always do (they are worth seeing). */
export function matchesFilter(line: TraceLine, filter: TraceFilter): boolean {
  if (!line.ok) return true;
  const { entry, decoded } = line;
  const message = decoded.ok ? decoded.message : undefined;
  if (filter.actor !== undefined && !entry.actor.startsWith(filter.actor)) return false;
  if (filter.subject !== undefined && !subjectMatches(filter.subject, entry.subject)) return false;
  if (filter.types !== undefined && filter.types.length > 0 && (message === undefined || !filter.types.includes(message.type))) return false;
  if (filter.job !== undefined && entryJobId(entry, message) !== filter.job) return false;
  return true;
}

export type TimeFormat = "offset" | "iso";

/** The longest a field's value is shown before it is cut with "…". */
const MAX_FIELD = 60;

function truncate(text: string, max = MAX_FIELD): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** JSON that survives BigInt and binary values (user records may hold both). */
export function safeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint") return `${v}n`;
    if (v instanceof Uint8Array) return `<${v.length} bytes>`;
    if (typeof v === "number" && !Number.isFinite(v)) return String(v);
    return v;
  });
}

function fieldValue(key: string, value: unknown): string {
  if (key === "jobGraph" && typeof value === "object" && value !== null && "vertices" in value && Array.isArray(value.vertices)) {
    const graph = value as { jobName?: unknown; vertices: unknown[]; edges?: unknown[] };
    return `<${String(graph.jobName)}: ${graph.vertices.length} vertices, ${graph.edges?.length ?? 0} edges>`;
  }
  if (typeof value === "string") return truncate(/^[\w./:@-]*$/.test(value) && value.length > 0 ? value : JSON.stringify(value));
  if (typeof value === "object" && value !== null && "jobId" in value && "vertexId" in value && "subtaskIndex" in value && "attempt" in value) {
    const t = value as { vertexId: string; subtaskIndex: number; attempt: number };
    return `${t.vertexId}[${t.subtaskIndex}]#${t.attempt}`;
  }
  return truncate(safeJson(value) ?? String(value));
}

function elementSummary(element: DataElement): string {
  switch (element.kind) {
    case "records":
      return `records:${element.records.length}`;
    case "watermark":
      return `watermark:${element.timestamp}`;
    case "barrier":
      return `barrier:${element.checkpointId}`;
    case "stream-status":
      return `status:${element.status}`;
    default:
      return element.kind;
  }
}

/** Fields that bind messages to a deployment: noise on a line for people (the JSON form keeps them). */
const BINDING_FIELDS = new Set(["secret", "channelToken", "collectKey", "token", "mac"]);

/** A message in one line: its type, then its fields as key=value (frames and batches summarized). */
export function formatMessage(message: Message): string {
  if (message.type === "frame") return `frame seq=${message.seq} producer=${message.producer} [${message.elements.map(elementSummary).join(", ")}]`;
  const fields = Object.entries(message).filter(([k, v]) => k !== "type" && k !== "v" && v !== undefined && !BINDING_FIELDS.has(k));
  const parts = fields.map(([k, v]) => (k === "records" && Array.isArray(v) ? `records=${v.length}` : `${k}=${fieldValue(k, v)}`));
  return [message.type, ...parts].join(" ");
}

function formatTime(t: number, first: number, format: TimeFormat): string {
  if (format === "iso") return new Date(t).toISOString();
  return `+${String(t - first).padStart(6)}ms`;
}

/** One entry as a line: time, actor, direction, subject, message. */
export function formatTraceLine(line: TraceLine, first: number, format: TimeFormat): string {
  if (!line.ok) return `line ${line.line}: ${line.error}`;
  const { entry, decoded } = line;
  const body = decoded.ok ? formatMessage(decoded.message) : `<undecodable (${decoded.reason}): ${truncate(decoded.detail, 120)}, ${entry.data.length} bytes>`;
  return `${formatTime(entry.t, first, format)} ${entry.actor} ${entry.kind} ${entry.subject} ${body}`;
}

/** One entry as a JSON object (one line): the decoded message in full, or why it is not one. */
export function traceLineJson(line: TraceLine, first: number): string {
  if (!line.ok) return safeJson({ line: line.line, error: line.error });
  const { entry, decoded } = line;
  const base = { line: line.line, t: entry.t, offsetMs: entry.t - first, actor: entry.actor, kind: entry.kind, subject: entry.subject, ...(entry.reply ? { reply: entry.reply } : {}) };
  return safeJson(decoded.ok ? { ...base, type: decoded.message.type, message: decoded.message } : { ...base, undecodable: { reason: decoded.reason, detail: decoded.detail, bytes: entry.data.length } });
}

/** The time of the first well-formed entry (offsets count from it). */
export function firstTime(lines: readonly TraceLine[]): number {
  for (const l of lines) if (l.ok) return l.entry.t;
  return 0;
}
