// The raw ceiling of case (b): plain nats.js publish/subscribe of ~32 KiB msgpackr frames of bids
// between two processes, with nothing of weir in between. The sender generates the records and
// encodes frames of weir's shape; the receiver decodes them and touches every record. A window of
// credits (the receiver grants more every few frames) keeps the receiver from becoming a NATS
// slow consumer, as weir's credits do.
//
//   node --import tsx bench/raw-nats-peer.ts receive --nats <url> --subject <prefix>
//   node --import tsx bench/raw-nats-peer.ts send --nats <url> --subject <prefix> --records N [--warmup N]
// The receiver prints "ready" once subscribed; the sender prints one JSON line: {records, ms}.

import { connect, type NatsConnection } from "@nats-io/transport-node";
import { PROTOCOL_VERSION } from "../src/messages/schema.ts";
import { benchPackr, makeBid, recordsPerFrame, type Bid } from "./records.ts";
import { numberOption } from "./report.ts";

/** Frames the sender may have in flight; the receiver grants CREDIT_BATCH more every CREDIT_BATCH frames. */
const WINDOW = 8;
const CREDIT_BATCH = 2;

interface RawFrame {
  seq: number;
  end?: boolean;
  elements: { kind: "records"; records: Bid[] }[];
}

function stringOption(args: string[], name: string): string {
  const index = args.indexOf(`--${name}`);
  if (index < 0 || !args[index + 1]) throw new Error(`raw-nats-peer needs --${name}`);
  return args[index + 1];
}

async function receive(nc: NatsConnection, prefix: string): Promise<void> {
  let consumed = 0;
  let received = 0;
  let checksum = 0;
  nc.subscribe(`${prefix}.frames`, {
    callback: (error, msg) => {
      if (error) throw error;
      const frame = benchPackr.unpack(msg.data) as RawFrame;
      if (frame.end) {
        nc.publish(`${prefix}.done`, benchPackr.pack({ received, checksum }));
        received = 0;
        checksum = 0;
      } else {
        const records = frame.elements[0].records;
        for (let i = 0; i < records.length; i++) checksum += records[i].bidder;
        received += records.length;
      }
      consumed += 1;
      if (consumed % CREDIT_BATCH === 0) nc.publish(`${prefix}.credit`, benchPackr.pack({ credits: consumed + WINDOW }));
    },
  });
  nc.subscribe(`${prefix}.hello`, { callback: (_error, msg) => void msg.respond(new Uint8Array(0)) });
  await nc.flush();
  process.stdout.write("ready\n");
  await nc.closed();
}

async function send(nc: NatsConnection, prefix: string, records: number, warmup: number): Promise<void> {
  let granted = WINDOW;
  let sent = 0;
  let seq = 0;
  let creditWaiter: (() => void) | undefined;
  let doneWaiter: ((summary: { received: number; checksum: number }) => void) | undefined;
  nc.subscribe(`${prefix}.credit`, {
    callback: (_error, msg) => {
      granted = Math.max(granted, (benchPackr.unpack(msg.data) as { credits: number }).credits);
      const waiter = creditWaiter;
      creditWaiter = undefined;
      waiter?.();
    },
  });
  nc.subscribe(`${prefix}.done`, { callback: (_error, msg) => doneWaiter?.(benchPackr.unpack(msg.data) as { received: number; checksum: number }) });
  await nc.request(`${prefix}.hello`, new Uint8Array(0), { timeout: 10_000 });
  const perFrame = recordsPerFrame();

  const publish = async (frame: RawFrame) => {
    while (sent >= granted) await new Promise<void>((resolve) => (creditWaiter = resolve));
    nc.publish(`${prefix}.frames`, benchPackr.pack(frame));
    sent += 1;
  };
  /** Sends records [0, count) and resolves when the receiver has had them all. */
  const round = async (count: number) => {
    const done = new Promise<{ received: number; checksum: number }>((resolve) => (doneWaiter = resolve));
    let expectedChecksum = 0;
    for (let next = 0; next < count; ) {
      const end = Math.min(count, next + perFrame);
      const batch: Bid[] = [];
      for (let i = next; i < end; i++) {
        const bid = makeBid(i);
        expectedChecksum += bid.bidder;
        batch.push(bid);
      }
      next = end;
      await publish({ seq: ++seq, elements: [{ kind: "records", records: batch }] });
    }
    await publish({ seq: ++seq, end: true, elements: [] });
    const summary = await done;
    if (summary.received !== count || summary.checksum !== expectedChecksum) {
      throw new Error(`raw receiver got ${summary.received} records (checksum ${summary.checksum}), expected ${count} (${expectedChecksum})`);
    }
  };

  if (warmup > 0) await round(warmup);
  const started = performance.now();
  await round(records);
  const ms = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ records, ms, protocol: PROTOCOL_VERSION })}\n`);
}

async function main(): Promise<void> {
  const [role, ...args] = process.argv.slice(2);
  const nc = await connect({ servers: stringOption(args, "nats"), name: `weir-bench-raw-${role}` });
  const prefix = stringOption(args, "subject");
  if (role === "receive") await receive(nc, prefix);
  else if (role === "send") {
    await send(nc, prefix, numberOption(args, "records", 1_000_000), numberOption(args, "warmup", 200_000));
    await nc.drain();
  } else throw new Error(`raw-nats-peer: role must be send or receive, got ${role}`);
}

await main();
