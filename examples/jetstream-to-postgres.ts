// Orders from a NATS JetStream stream → a running total per customer → a PostgreSQL table, one
// row per customer (upsert by key), exactly once with checkpointing. It publishes some sample
// orders into the stream ORDERS (created if missing, subjects `orders.<region>`), creates the
// table `customer_totals` (customer primary key) if missing, reads everything the stream holds
// (bounded: the job ends once it has caught up) and prints each customer's row from the table. Needs nats-server with JetStream (`nats-server -js`)
// and PostgreSQL:
//
//   npx tsx examples/jetstream-to-postgres.ts [--nats nats://127.0.0.1:4222] [--postgres postgres://postgres@127.0.0.1:5432/postgres] [--orders 1000]

import { parseArgs } from "node:util";
import pg from "pg";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { StreamExecutionEnvironment, jetStreamSource, postgresSink } from "../src/index.ts";

interface Order {
  customer: string;
  /** In cents. */
  amount: number;
}

interface CustomerTotal {
  customer: string;
  orders: number;
  total: number;
}

const REGIONS = ["eu", "us", "apac"];
const CUSTOMERS = ["ada", "brian", "grace", "ken", "linus"];

const { values } = parseArgs({ options: { nats: { type: "string", default: "nats://127.0.0.1:4222" }, postgres: { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" }, orders: { type: "string", default: "1000" } } });
const servers = values.nats;
const connectionString = values.postgres;

/** Creates ORDERS if it is missing and publishes `count` orders, spread over the regions' subjects. */
async function publishSampleOrders(count: number): Promise<void> {
  const nc = await connect({ servers });
  try {
    const jsm = await jetstreamManager(nc).catch((error: Error) => {
      throw new Error(`${servers}: ${error.message} (start nats-server with -js)`);
    });
    await jsm.streams.info("ORDERS").catch(() => jsm.streams.add({ name: "ORDERS", subjects: ["orders.*"] }));
    const js = jetstream(nc);
    const orders = Array.from({ length: count }, (_, i): Order => ({ customer: CUSTOMERS[i % CUSTOMERS.length], amount: 100 + ((i * 37) % 900) }));
    await Promise.all(orders.map((order, i) => js.publish(`orders.${REGIONS[i % REGIONS.length]}`, JSON.stringify(order))));
  } finally {
    await nc.close();
  }
}

async function query<R extends pg.QueryResultRow>(sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  await publishSampleOrders(Number(values.orders));
  await query("CREATE TABLE IF NOT EXISTS customer_totals (customer text PRIMARY KEY, orders integer NOT NULL, total bigint NOT NULL)");

  const env = new StreamExecutionEnvironment({ parallelism: 2 });
  env.enableCheckpointing(500);
  env
    .fromSource(jetStreamSource<Order>({ servers, stream: "ORDERS", subjects: REGIONS.map((r) => `orders.${r}`), bounded: true }), "orders")
    .map((o): CustomerTotal => ({ customer: o.customer, orders: 1, total: o.amount }))
    .keyBy((t) => t.customer)
    .reduce((a, b) => ({ customer: a.customer, orders: a.orders + b.orders, total: a.total + b.total }))
    .name("total-per-customer")
    .sinkTo(postgresSink<CustomerTotal>({ connectionString, table: "customer_totals", columns: ["customer", "orders", "total"], row: (t) => [t.customer, t.orders, t.total], mode: "upsert", key: ["customer"] }));
  await env.execute("jetstream-to-postgres");

  // Each customer's row holds its latest total, which covers all orders the stream holds.
  const latest = await query<CustomerTotal>("SELECT customer, orders, total FROM customer_totals ORDER BY customer");
  for (const t of latest) console.log(`${t.customer}: ${t.orders} orders, ${(Number(t.total) / 100).toFixed(2)} in total`);
}

try {
  await main();
} catch (error) {
  console.error(`jetstream-to-postgres: ${(error as Error).message}`);
  process.exitCode = 1;
}
