// Nexmark q0-q3 against brute-force computations over the same generated events; the command
// line's events-file input and NDJSON output; `weir run` on a query job module.

import { mkdtempSync, readFileSync, rmSync, createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { once } from "node:events";
import { afterAll, describe, expect, it } from "vitest";
import { StreamExecutionEnvironment } from "../../src/index.ts";
import { generateEvents, nexmarkConfig, writeEventsNdjson } from "../../src/nexmark/index.ts";
import { runWeir } from "../../src/testing/index.ts";
import { q0 } from "../../examples/nexmark/q0.ts";
import { q1 } from "../../examples/nexmark/q1.ts";
import q2Job, { q2 } from "../../examples/nexmark/q2.ts";
import { q3 } from "../../examples/nexmark/q3.ts";
import { auctionsOf, bidsOf, inputEvents, personsOf, runQuery, sorted } from "./query-harness.ts";

const root = resolve(import.meta.dirname, "../..");
const events = inputEvents();
const bids = bidsOf(events);

describe("Nexmark q0-q3 equal a brute-force computation", () => {
  it("q0 passes every bid through as auction, bidder, price, dateTime, extra", async () => {
    const expected = bids.map((b) => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra }));
    expect(expected.length).toBe(36_800);
    expect(sorted(await runQuery(q0))).toEqual(sorted(expected));
  });

  it("q1 converts every price to euros: the decimal price × 0.908", async () => {
    const euros = (price: number) => {
      const thousandths = price * 908;
      return Number(`${Math.floor(thousandths / 1000)}.${String(thousandths % 1000).padStart(3, "0")}`);
    };
    const expected = bids.map((b) => ({ auction: b.auction, bidder: b.bidder, price: euros(b.price), dateTime: b.dateTime, extra: b.extra }));
    expect(sorted(await runQuery(q1))).toEqual(sorted(expected));
  });

  it("q2 keeps the bids on auctions whose id is a multiple of 123", async () => {
    const expected = [];
    for (const b of bids) if (b.auction % 123 === 0) expected.push({ auction: b.auction, price: b.price });
    expect(expected.length).toBeGreaterThan(100);
    expect(sorted(await runQuery(q2))).toEqual(sorted(expected));
  });

  it("q3 joins category-10 auctions with their sellers from OR, ID and CA", async () => {
    const expected = [];
    for (const a of auctionsOf(events)) {
      if (a.category !== 10) continue;
      for (const p of personsOf(events)) {
        if (p.id === a.seller && (p.state === "OR" || p.state === "ID" || p.state === "CA")) expected.push({ name: p.name, city: p.city, state: p.state, id: a.id });
      }
    }
    expect(expected.length).toBeGreaterThan(50);
    expect(sorted(await runQuery(q3))).toEqual(sorted(expected));
  });
});

describe("a query job's command line", () => {
  const dir = mkdtempSync(join(tmpdir(), "weir-nexmark-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = nexmarkConfig({ seed: 3, firstEventRate: 500 });

  it("reads --events-file and writes --output as NDJSON, at parallelism 2", async () => {
    const input = join(dir, "events.ndjson");
    const file = createWriteStream(input);
    await writeEventsNdjson(config, 5_000, file);
    file.end();
    await once(file, "close");
    const output = join(dir, "q2.ndjson");
    const env = new StreamExecutionEnvironment();
    await q2Job(env, ["--events-file", input, "--output", output, "--parallelism", "2"]);
    await env.execute();
    const rows = readFileSync(output, "utf8").trim().split("\n").map((line) => JSON.parse(line));
    const expected = [];
    for (const e of generateEvents(config, 5_000)) if (e.type === "bid" && e.auction % 123 === 0) expected.push({ auction: e.auction, price: e.price });
    expect(expected.length).toBeGreaterThan(5);
    expect(sorted(rows)).toEqual(sorted(expected));
  });

  it("`weir run` runs a query module with the generator's options", async () => {
    const output = join(dir, "q2-run.ndjson");
    const run = await runWeir(["run", join(root, "examples/nexmark/q2.ts"), "--", "--events", "5000", "--seed", "3", "--first-event-rate", "500", "--output", output]);
    expect(run.code).toBe(0);
    const rows = readFileSync(output, "utf8").trim().split("\n").map((line) => JSON.parse(line));
    const expected = [];
    for (const e of generateEvents(config, 5_000)) if (e.type === "bid" && e.auction % 123 === 0) expected.push({ auction: e.auction, price: e.price });
    expect(sorted(rows)).toEqual(sorted(expected));
  });

  it("refuses a bad number, naming the option", async () => {
    const env = new StreamExecutionEnvironment();
    await expect(async () => q2Job(env, ["--events", "ten"])).rejects.toThrow("--events must be an integer >= 0, got ten");
  });
});
