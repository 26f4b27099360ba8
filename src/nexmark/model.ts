// The three Nexmark event kinds as weir records: `{ type, ...fields }` with the field names of the
// Nexmark schema (nexmark-flink's ddl_gen.sql), times in epoch milliseconds. Pure data, no behaviour
// beyond the type guards the events-file reader uses.

export interface Person {
  type: "person";
  id: number;
  name: string;
  emailAddress: string;
  creditCard: string;
  city: string;
  state: string;
  dateTime: number;
  extra: string;
}

export interface Auction {
  type: "auction";
  id: number;
  itemName: string;
  description: string;
  initialBid: number;
  reserve: number;
  dateTime: number;
  expires: number;
  seller: number;
  category: number;
  extra: string;
}

export interface Bid {
  type: "bid";
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  url: string;
  dateTime: number;
  extra: string;
}

export type NexmarkEvent = Person | Auction | Bid;

const FIELDS: Record<NexmarkEvent["type"], Record<string, "number" | "string">> = {
  person: { id: "number", name: "string", emailAddress: "string", creditCard: "string", city: "string", state: "string", dateTime: "number", extra: "string" },
  auction: {
    id: "number",
    itemName: "string",
    description: "string",
    initialBid: "number",
    reserve: "number",
    dateTime: "number",
    expires: "number",
    seller: "number",
    category: "number",
    extra: "string",
  },
  bid: { auction: "number", bidder: "number", price: "number", channel: "string", url: "string", dateTime: "number", extra: "string" },
};

/** Why `value` is not a Nexmark event (the first field found wrong), or undefined when it is one. */
export function nexmarkEventProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return "not an object";
  const record = value as Record<string, unknown>;
  const type = record.type;
  if (type !== "person" && type !== "auction" && type !== "bid") return `"type" must be "person", "auction" or "bid", got ${JSON.stringify(type)}`;
  for (const [field, kind] of Object.entries(FIELDS[type])) {
    const actual = record[field];
    if (kind === "number" ? typeof actual !== "number" || !Number.isFinite(actual) : typeof actual !== "string") {
      return `${type}.${field} must be a ${kind}, got ${JSON.stringify(actual)}`;
    }
  }
  return undefined;
}
