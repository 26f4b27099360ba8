// The embedded bus keeps NATS's semantics inside one process: subjects and wildcards, delivery in
// publish order and never re-entrant, queue groups, request/reply, and flush.

import { afterEach, describe, expect, it } from "vitest";
import { NoRespondersError, RequestTimeoutError, subjectMatches } from "../../src/bus/bus.ts";
import { InProcessBus } from "../../src/bus/in-process-bus.ts";

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

let bus: InProcessBus;
afterEach(async () => {
  await bus?.close();
});

/** Subscribes and records "subject:payload" for every delivery. */
function listen(pattern: string, options?: { queue?: string }): string[] {
  const seen: string[] = [];
  bus.subscribe(pattern, (data, subject) => seen.push(`${subject}:${str(data)}`), options);
  return seen;
}

describe("subjectMatches", () => {
  it.each<[string, string, boolean]>([
    ["a.b", "a.b", true],
    ["a.b", "a.c", false],
    ["a.b.c", "a.b", false],
    ["a.b", "a.b.c", false],
    ["a.*", "a.b", true],
    ["a.*", "a", false],
    ["a.*", "a.b.c", false],
    ["*.b", "a.b", true],
    ["*.b", "a.c", false],
    ["a.*.c", "a.x.c", true],
    ["a.*.c", "a.x.d", false],
    ["*", "a", true],
    ["*", "a.b", false],
    ["*.*", "a.b", true],
    ["a.>", "a.b", true],
    ["a.>", "a.b.c.d", true],
    ["a.>", "a", false],
    ["a.>", "b.c", false],
    [">", "a", true],
    [">", "a.b.c", true],
    ["*.>", "a.b", true],
    ["*.>", "a", false],
    ["a.*.>", "a.b.c", true],
    ["a.*.>", "a.b", false],
    ["weir.data.j.0.e1.3.*", "weir.data.j.0.e1.3.0", true],
    ["weir.data.j.0.e1.3.*", "weir.data.j.0.e1.13.0", false],
  ])("pattern %s against subject %s is %s", (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });
});

describe("InProcessBus delivery", () => {
  it("delivers a message to exact and wildcard subscribers of its subject, and to no one else", async () => {
    bus = new InProcessBus();
    const exact = listen("orders.eu");
    const star = listen("orders.*");
    const tail = listen("orders.>");
    const other = listen("orders.us");
    const deeper = listen("orders.*.x");
    bus.publish("orders.eu", text("1"));
    await bus.flush();
    expect([exact, star, tail, other, deeper]).toEqual([["orders.eu:1"], ["orders.eu:1"], ["orders.eu:1"], [], []]);
  });

  it("delivers asynchronously: nothing arrives before publish returns", async () => {
    bus = new InProcessBus();
    const seen = listen("a");
    bus.publish("a", text("x"));
    expect(seen).toEqual([]);
    await bus.flush();
    expect(seen).toEqual(["a:x"]);
  });

  it("delivers in publish order, across subjects, to every subscriber", async () => {
    bus = new InProcessBus();
    const all = listen(">");
    const onlyA = listen("a");
    const expectedAll: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const subject = i % 3 === 0 ? "b" : "a";
      bus.publish(subject, text(String(i)));
      expectedAll.push(`${subject}:${i}`);
    }
    await bus.flush();
    expect(all).toEqual(expectedAll);
    expect(onlyA).toEqual(expectedAll.filter((m) => m.startsWith("a:")));
  });

  it("does not re-enter a handler that publishes: its message is delivered after the handler returns", async () => {
    bus = new InProcessBus();
    const events: string[] = [];
    bus.subscribe("ping", () => {
      events.push("ping start");
      bus.publish("pong", text(""));
      events.push("ping end");
    });
    bus.subscribe("pong", () => events.push("pong"));
    bus.publish("ping", text(""));
    await bus.flush();
    expect(events).toEqual(["ping start", "ping end", "pong"]);
  });

  it("passes the reply subject given to publish", async () => {
    bus = new InProcessBus();
    const replies: (string | undefined)[] = [];
    bus.subscribe("q", (_data, _subject, reply) => replies.push(reply));
    bus.publish("q", text(""), "my.inbox");
    bus.publish("q", text(""));
    await bus.flush();
    expect(replies).toEqual(["my.inbox", undefined]);
  });

  it("drops a message nobody subscribes to, even if someone subscribes later", async () => {
    bus = new InProcessBus();
    bus.publish("early", text("lost"));
    const seen = listen("early");
    await bus.flush();
    expect(seen).toEqual([]);
  });

  it("stops delivering after unsubscribe, including messages already published but not yet delivered", async () => {
    bus = new InProcessBus();
    const seen: string[] = [];
    const sub = bus.subscribe("s", (data) => seen.push(str(data)));
    const wild = bus.subscribe("s.>", (data) => seen.push(`wild ${str(data)}`));
    bus.publish("s", text("1"));
    bus.publish("s.x", text("2"));
    await bus.flush();
    bus.publish("s", text("3"));
    bus.publish("s.x", text("4"));
    sub.unsubscribe();
    wild.unsubscribe();
    bus.publish("s", text("5"));
    await bus.flush();
    expect(seen).toEqual(["1", "wild 2"]);
  });

  it("keeps the other subscribers of a subject when one unsubscribes", async () => {
    bus = new InProcessBus();
    const first = bus.subscribe("s", () => {});
    const second = listen("s");
    first.unsubscribe();
    first.unsubscribe(); // twice is harmless
    bus.publish("s", text("x"));
    await bus.flush();
    expect(second).toEqual(["s:x"]);
  });

  it("resolves flush at once when nothing is pending, and only after chained deliveries otherwise", async () => {
    bus = new InProcessBus();
    await bus.flush();
    const seen: string[] = [];
    bus.subscribe("hop", (data) => {
      const n = Number(str(data));
      seen.push(String(n));
      if (n < 5) bus.publish("hop", text(String(n + 1)));
    });
    bus.publish("hop", text("1"));
    await bus.flush();
    expect(seen).toEqual(["1", "2", "3", "4", "5"]);
  });

  it("delivers more messages than one turn's budget, all of them, in order", async () => {
    bus = new InProcessBus();
    const seen: number[] = [];
    bus.subscribe("n", (data) => seen.push(Number(str(data))));
    for (let i = 0; i < 10_000; i++) bus.publish("n", text(String(i)));
    await bus.flush();
    expect(seen).toHaveLength(10_000);
    expect(seen.every((v, i) => v === i)).toBe(true);
  });

  it("delivers nothing after close, and close releases flush waiters", async () => {
    bus = new InProcessBus();
    const seen = listen("s");
    bus.publish("s", text("1"));
    const flushed = bus.flush();
    await bus.close();
    await flushed;
    bus.publish("s", text("2"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([]);
  });
});

describe("InProcessBus queue groups", () => {
  it("gives each message to exactly one member of a group, round robin, while plain subscribers get all", async () => {
    bus = new InProcessBus();
    const members = [listen("jobs", { queue: "workers" }), listen("jobs", { queue: "workers" }), listen("jobs.*", { queue: "workers" })];
    const plain = listen("jobs");
    for (let i = 0; i < 30; i++) bus.publish("jobs", text(String(i)));
    await bus.flush();
    expect(plain).toHaveLength(30);
    expect(members.flat().sort()).toEqual([...plain].sort());
    expect(members.slice(0, 2).map((m) => m.length)).toEqual([15, 15]); // "jobs.*" does not match "jobs"
    expect(members[2]).toEqual([]);
  });

  it("spreads messages evenly over the members of each of two groups on one subject", async () => {
    bus = new InProcessBus();
    const groupA = [listen("s", { queue: "a" }), listen("s", { queue: "a" })];
    const groupB = [listen("s", { queue: "b" }), listen("s", { queue: "b" })];
    for (let i = 0; i < 10; i++) bus.publish("s", text(String(i)));
    await bus.flush();
    expect(groupA.map((m) => m.length)).toEqual([5, 5]);
    expect(groupB.map((m) => m.length)).toEqual([5, 5]);
  });

  it("spreads requests evenly over the members of a group", async () => {
    bus = new InProcessBus();
    const served = [0, 0];
    for (const member of [0, 1]) {
      bus.subscribe(
        "svc",
        (_data, _subject, reply) => {
          served[member]++;
          bus.publish(reply!, text(String(member)));
        },
        { queue: "svc" },
      );
    }
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) answers.push(str(await bus.request("svc", text(""))));
    expect(served).toEqual([3, 3]);
    expect(new Set(answers)).toEqual(new Set(["0", "1"]));
  });
});

describe("InProcessBus request/reply", () => {
  it("resolves with the first reply", async () => {
    bus = new InProcessBus();
    bus.subscribe("echo", (data, _subject, reply) => {
      bus.publish(reply!, text(`re: ${str(data)}`));
      bus.publish(reply!, text("second reply, ignored"));
    });
    expect(str(await bus.request("echo", text("hello")))).toBe("re: hello");
  });

  it("gives concurrent requests their own replies", async () => {
    bus = new InProcessBus();
    bus.subscribe("double", (data, _subject, reply) => bus.publish(reply!, text(String(Number(str(data)) * 2))));
    const replies = await Promise.all([1, 2, 3].map((n) => bus.request("double", text(String(n)))));
    expect(replies.map(str)).toEqual(["2", "4", "6"]);
  });

  it("rejects with NoRespondersError when nobody listens on the subject", async () => {
    bus = new InProcessBus();
    listen("elsewhere");
    const request = bus.request("weir.dispatcher.submit", text(""));
    await expect(request).rejects.toBeInstanceOf(NoRespondersError);
    await expect(request).rejects.toThrow("no responders on weir.dispatcher.submit");
  });

  it("rejects with NoRespondersError once the only responder has unsubscribed", async () => {
    bus = new InProcessBus();
    const sub = bus.subscribe("svc", (_d, _s, reply) => bus.publish(reply!, text("ok")));
    await expect(bus.request("svc", text(""))).resolves.toEqual(text("ok"));
    sub.unsubscribe();
    await expect(bus.request("svc", text(""))).rejects.toBeInstanceOf(NoRespondersError);
  });

  it("rejects with RequestTimeoutError when a responder never answers, and leaves no inbox behind", async () => {
    bus = new InProcessBus();
    const replySubjects: string[] = [];
    bus.subscribe("silent", (_data, _subject, reply) => replySubjects.push(reply!));
    const error = await bus.request("silent", text(""), { timeoutMs: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect((error as Error).message).toBe("request on silent timed out after 10 ms");
    // Nobody listens on the inbox any more: a late reply goes nowhere.
    await expect(bus.request(replySubjects[0], text("late"))).rejects.toBeInstanceOf(NoRespondersError);
  });
});
