// The derivations that bind frames, credits and collect batches to a deployment: each attempt's
// channel token differs, and a collect signature covers the batch's place in its stream.

import { describe, expect, it } from "vitest";
import { channelToken, collectKey, collectMac, newJobSecret } from "../../src/messages/deployment-binding.ts";

const position = { jobId: "j1", sinkId: "4", subtaskIndex: 0, seq: 3, last: false, count: 10 };

describe("deployment binding", () => {
  it("draws a fresh 128-bit secret per job", () => {
    const [a, b] = [newJobSecret(), newJobSecret()];
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
  });

  it("derives the same channel token for an attempt every time, and another for each other attempt or secret", () => {
    const secret = "0123456789abcdef0123456789abcdef";
    expect(channelToken(secret, 0)).toBe(channelToken(secret, 0));
    expect(channelToken(secret, 0)).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set([channelToken(secret, 0), channelToken(secret, 1), channelToken("another secret", 0), collectKey(secret)]).size).toBe(4);
  });

  it("signs a collect batch's position: another number, sink subtask, end flag or count gives another signature", () => {
    const key = collectKey("0123456789abcdef0123456789abcdef");
    const mac = collectMac(key, position);
    expect(collectMac(key, { ...position })).toBe(mac);
    const changed = [{ seq: 4 }, { subtaskIndex: 1 }, { sinkId: "5" }, { jobId: "j2" }, { last: true }, { count: 11 }].map((change) => collectMac(key, { ...position, ...change }));
    expect(changed.every((other) => other !== mac)).toBe(true);
    expect(collectMac(collectKey("another secret"), position)).not.toBe(mac);
  });
});
