// The file source's formats, pure: where records end in a chunk of bytes (a newline, or for CSV a
// newline outside quotes), and how one record's text becomes a value (text, NDJSON, CSV with a
// header row, or a user function). Receives bytes and text; returns records or throws.

/** A file's format: lines as text, one JSON value per line, CSV with a header row, or a function of each line. */
export type FileFormat<T> = "text" | "ndjson" | "csv" | ((line: string) => T);

/** One record's bytes in a chunk: [start, end) without its line break; the next record starts at `next`. */
export interface RecordBounds {
  start: number;
  end: number;
  next: number;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const QUOTE = 0x22;

/**
 * The complete records of `bytes` and where the incomplete rest begins. With `csv`, a newline
 * inside a quoted field does not end the record (a '"' byte never occurs inside a UTF-8 sequence).
 */
export function recordBounds(bytes: Uint8Array, csv: boolean): { records: RecordBounds[]; rest: number } {
  const records: RecordBounds[] = [];
  let start = 0;
  const push = (at: number) => {
    records.push({ start, end: at > start && bytes[at - 1] === CARRIAGE_RETURN ? at - 1 : at, next: at + 1 });
    start = at + 1;
  };
  if (!csv) {
    for (let at = bytes.indexOf(NEWLINE); at >= 0; at = bytes.indexOf(NEWLINE, start)) push(at);
    return { records, rest: start };
  }
  let quoted = false;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === QUOTE) quoted = !quoted;
    else if (bytes[i] === NEWLINE && !quoted) push(i);
  }
  return { records, rest: start };
}

/** The record a line of a headerless format stands for; `undefined` skips it (blank NDJSON lines). */
export function decodeLine<T>(format: Exclude<FileFormat<T>, "csv">, line: string): T | undefined {
  if (format === "text") return line as T;
  if (format === "ndjson") return line.trim() === "" ? undefined : (JSON.parse(line) as T);
  return format(line);
}

/**
 * The fields of one CSV record (RFC 4180): separated by commas, optionally in double quotes, where
 * a doubled quote stands for one and commas and line breaks are data.
 */
export function parseCsvRecord(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = "";
      let from = i + 1;
      for (;;) {
        const close = text.indexOf('"', from);
        if (close < 0) throw new Error("unterminated quoted field");
        value += text.slice(from, close);
        if (text[close + 1] === '"') {
          value += '"';
          from = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
      fields.push(value);
      if (i < text.length && text[i] !== ",") throw new Error(`unexpected ${JSON.stringify(text[i])} after the closing quote of field ${fields.length}`);
    } else {
      const comma = text.indexOf(",", i);
      const end = comma < 0 ? text.length : comma;
      const value = text.slice(i, end);
      if (value.includes('"')) throw new Error(`a quote inside unquoted field ${fields.length + 1}`);
      fields.push(value);
      i = end;
    }
    if (i >= text.length) return fields;
    i += 1; // the comma
  }
}

/** A CSV data record as an object keyed by the header's names. */
export function csvObject(header: readonly string[], text: string): Record<string, string> {
  const fields = parseCsvRecord(text);
  if (fields.length !== header.length) throw new Error(`expected ${header.length} fields (as in the header), got ${fields.length}`);
  const record: Record<string, string> = {};
  for (let i = 0; i < header.length; i++) record[header[i]] = fields[i];
  return record;
}
