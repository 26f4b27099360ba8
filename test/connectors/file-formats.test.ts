// The file source's formats, pure: where records end in a chunk (CSV newlines inside quotes are
// data), RFC 4180 fields, and CSV records as objects of a header's columns.

import { describe, expect, it } from "vitest";
import { csvObject, decodeLine, parseCsvRecord, recordBounds } from "../../src/connectors/file-formats.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("file formats", () => {
  it("a line ends at a newline, a carriage return before it is dropped, and the incomplete rest is left", () => {
    expect(recordBounds(bytes("ab\r\nc\n\nde"), false)).toEqual({
      records: [
        { start: 0, end: 2, next: 4 },
        { start: 4, end: 5, next: 6 },
        { start: 6, end: 6, next: 7 },
      ],
      rest: 7,
    });
  });

  it("a CSV record goes on past a newline inside quotes", () => {
    expect(recordBounds(bytes('a,"x\ny"\nb,"""q"""\n"open\n'), true)).toEqual({
      records: [
        { start: 0, end: 7, next: 8 },
        { start: 8, end: 17, next: 18 },
      ],
      rest: 18,
    });
  });

  it("parses quoted, empty and escaped CSV fields", () => {
    expect(parseCsvRecord('a,"b,c","say ""hi""",,"",x')).toEqual(["a", "b,c", 'say "hi"', "", "", "x"]);
    expect(parseCsvRecord("")).toEqual([""]);
    expect(parseCsvRecord('"multi\nline"')).toEqual(["multi\nline"]);
  });

  it("refuses malformed CSV records with the reason", () => {
    expect(() => parseCsvRecord('"open')).toThrow("unterminated quoted field");
    expect(() => parseCsvRecord('"a"b,c')).toThrow('unexpected "b" after the closing quote of field 1');
    expect(() => parseCsvRecord('a,b"c')).toThrow("a quote inside unquoted field 2");
    expect(() => csvObject(["a", "b"], "1")).toThrow("expected 2 fields (as in the header), got 1");
    expect(csvObject(["a", "b"], '1,"2"')).toEqual({ a: "1", b: "2" });
  });

  it("decodes text, NDJSON (skipping blank lines) and user functions", () => {
    expect(decodeLine("text", "")).toBe("");
    expect(decodeLine("ndjson", "  ")).toBeUndefined();
    expect(decodeLine("ndjson", '{"a":[1]}')).toEqual({ a: [1] });
    expect(decodeLine((line: string) => line.length, "four")).toBe(4);
  });
});
