// The Nexmark generator: the reference's event mix and id spaces, determinism per seed, valid
// records, and `weir nexmark generate` writing the same events as NDJSON.

import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { generateEvents, nexmarkConfig, nexmarkEventProblem, type NexmarkEvent } from "../../src/nexmark/index.ts";

const root = resolve(import.meta.dirname, "../..");

describe("the Nexmark generator", () => {
  const events = generateEvents(nexmarkConfig({ seed: 11 }), 5_000);

  it("mixes persons, auctions and bids 1:3:46 in every block of 50 events", () => {
    const count = (type: NexmarkEvent["type"]) => events.filter((e) => e.type === type).length;
    expect([count("person"), count("auction"), count("bid")]).toEqual([100, 300, 4_600]);
    const firstBlock = events.slice(0, 50).map((e) => e.type);
    expect(firstBlock[0]).toBe("person");
    expect(firstBlock.slice(1, 4)).toEqual(["auction", "auction", "auction"]);
    expect(firstBlock.slice(4).every((t) => t === "bid")).toBe(true);
  });

  it("numbers persons and auctions from 1000 and bids at most 10 auctions ahead (the reference's AUCTION_ID_LEAD)", () => {
    const persons = events.filter((e) => e.type === "person").map((e) => e.id);
    const auctions = events.filter((e) => e.type === "auction").map((e) => e.id);
    expect(persons).toEqual(persons.map((_, i) => 1000 + i));
    expect(auctions).toEqual(auctions.map((_, i) => 1000 + i));
    let lastAuction = 999;
    for (const e of events) {
      if (e.type === "auction") lastAuction = e.id;
      if (e.type === "bid") expect(e.auction).toBeLessThanOrEqual(lastAuction + 10);
      if (e.type === "bid") expect(e.auction).toBeGreaterThanOrEqual(1000);
    }
  });

  it("gives valid records whose event time never goes backwards", () => {
    for (const e of events) expect(nexmarkEventProblem(e)).toBeUndefined();
    for (let i = 1; i < events.length; i++) expect(events[i].dateTime).toBeGreaterThanOrEqual(events[i - 1].dateTime);
  });

  it("gives the same events for the same seed and other events for another", () => {
    expect(generateEvents(nexmarkConfig({ seed: 11 }), 500)).toEqual(events.slice(0, 500));
    expect(generateEvents(nexmarkConfig({ seed: 12 }), 500)).not.toEqual(events.slice(0, 500));
  });

  it("`weir nexmark generate` writes those events as NDJSON", () => {
    const out = execFileSync(process.execPath, [resolve(root, "bin/weir.mjs"), "nexmark", "generate", "--events", "200", "--seed", "11"], { encoding: "utf8" });
    const lines = out.trim().split("\n").map((line) => JSON.parse(line) as NexmarkEvent);
    expect(lines).toEqual(events.slice(0, 200));
  });
});
