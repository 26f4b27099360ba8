// Makes Nexmark events (the reference's NexmarkGenerator and generator/model/*): event `eventId` of a
// timeline, at event number `eventNumber`, is a person, an auction or a bid by its place in the
// 1:3:46 mix, with ids, hot sellers/bidders/auctions, prices, categories, expiries and string sizes
// as the reference draws them. Receives a configuration and event positions; sends event records.

import { EventRandom } from "./event-random.ts";
import {
  FIRST_AUCTION_ID,
  FIRST_CATEGORY_ID,
  FIRST_PERSON_ID,
  eventKind,
  eventsForInFlightAuctions,
  lastBase0AuctionId,
  lastBase0PersonId,
  timestampForEvent,
  type GeneratorSplit,
  type NexmarkConfig,
} from "./generator-config.ts";
import type { Auction, Bid, NexmarkEvent, Person } from "./model.ts";
import { nextExtra, nextString } from "./strings.ts";

const NUM_CATEGORIES = 5;
const PERSON_ID_LEAD = 10;
const AUCTION_ID_LEAD = 10;
const HOT_SELLER_RATIO = 100;
const HOT_AUCTION_RATIO = 100;
const HOT_BIDDER_RATIO = 100;
const HOT_CHANNELS_RATIO = 2;
const CHANNELS_NUMBER = 10_000;
const US_STATES = ["AZ", "CA", "ID", "OR", "WA", "WY"];
const US_CITIES = ["Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"];
const FIRST_NAMES = ["Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"];
const LAST_NAMES = ["Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"];
const HOT_CHANNELS = ["Google", "Facebook", "Baidu", "Apple"];
const CREDIT_CARD_GROUPS = Array.from({ length: 10_000 }, (_, i) => String(i).padStart(4, "0"));

/** Java's Integer.reverse: the 32 bits in reverse order, as a signed 32-bit integer. */
function reverseBits32(value: number): number {
  let v = value >>> 0;
  let reversed = 0;
  for (let bit = 0; bit < 32; bit++) {
    reversed = (reversed << 1) | (v & 1);
    v >>>= 1;
  }
  return reversed | 0;
}

function baseUrl(random: EventRandom): string {
  return `https://www.nexmark.com/${nextString(random, 5, "_")}/${nextString(random, 5, "_")}/${nextString(random, 5, "_")}/item.htm?query=1`;
}

/** The hot channels' urls and the 10,000 other channels with theirs: fixed for every process and seed. */
const CHANNEL_TABLES = (() => {
  const random = new EventRandom().reset(0xc4a22e1, 0);
  const hotUrls = HOT_CHANNELS.map(() => baseUrl(random));
  const names: string[] = [];
  const urls: string[] = [];
  for (let i = 0; i < CHANNELS_NUMBER; i++) {
    const url = baseUrl(random);
    names.push(`channel-${i}`);
    urls.push(random.nextInt(10) > 0 ? `${url}&channel_id=${Math.abs(reverseBits32(i))}` : url);
  }
  return { hotUrls, names, urls };
})();

function nextPrice(random: EventRandom): number {
  return Math.round(10 ** (random.nextDouble() * 6) * 100);
}

function nextBase0PersonId(config: NexmarkConfig, eventId: number, random: EventRandom): number {
  const numPeople = lastBase0PersonId(config, eventId) + 1;
  const activePeople = Math.min(numPeople, config.numActivePeople);
  return numPeople - activePeople + random.nextLong(activePeople + PERSON_ID_LEAD);
}

function nextBase0AuctionId(config: NexmarkConfig, eventId: number, random: EventRandom): number {
  const maxAuction = lastBase0AuctionId(config, eventId);
  const minAuction = Math.max(maxAuction - config.numInFlightAuctions, 0);
  return minAuction + random.nextLong(maxAuction - minAuction + 1 + AUCTION_ID_LEAD);
}

function nextPerson(config: NexmarkConfig, eventId: number, random: EventRandom, timestamp: number): Person {
  const id = lastBase0PersonId(config, eventId) + FIRST_PERSON_ID;
  const name = `${FIRST_NAMES[random.nextInt(FIRST_NAMES.length)]} ${LAST_NAMES[random.nextInt(LAST_NAMES.length)]}`;
  const emailAddress = `${nextString(random, 7)}@${nextString(random, 5)}.com`;
  const creditCard = [0, 1, 2, 3].map(() => CREDIT_CARD_GROUPS[random.nextInt(CREDIT_CARD_GROUPS.length)]).join(" ");
  const city = US_CITIES[random.nextInt(US_CITIES.length)];
  const state = US_STATES[random.nextInt(US_STATES.length)];
  const size = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
  const extra = nextExtra(random, size, config.avgPersonByteSize);
  return { type: "person", id, name, emailAddress, creditCard, city, state, dateTime: timestamp, extra };
}

function nextAuction(config: NexmarkConfig, eventId: number, eventNumber: number, random: EventRandom, timestamp: number): Auction {
  const id = lastBase0AuctionId(config, eventId) + FIRST_AUCTION_ID;
  const seller =
    (random.nextInt(config.hotSellersRatio) > 0
      ? Math.trunc(lastBase0PersonId(config, eventId) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO
      : nextBase0PersonId(config, eventId, random)) + FIRST_PERSON_ID;
  const category = FIRST_CATEGORY_ID + random.nextInt(NUM_CATEGORIES);
  const initialBid = nextPrice(random);
  // The auction lasts up to twice the event time it takes for numInFlightAuctions more auctions to appear.
  const horizonMs = timestampForEvent(config, eventNumber + eventsForInFlightAuctions(config)) - timestamp;
  const expires = timestamp + 1 + random.nextLong(Math.max(horizonMs * 2, 1));
  const itemName = nextString(random, 20);
  const description = nextString(random, 100);
  const reserve = initialBid + nextPrice(random);
  const extra = nextExtra(random, 8 + itemName.length + description.length + 40, config.avgAuctionByteSize);
  return { type: "auction", id, itemName, description, initialBid, reserve, dateTime: timestamp, expires, seller, category, extra };
}

function nextBid(config: NexmarkConfig, eventId: number, random: EventRandom, timestamp: number): Bid {
  const auction =
    (random.nextInt(config.hotAuctionRatio) > 0
      ? Math.trunc(lastBase0AuctionId(config, eventId) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO
      : nextBase0AuctionId(config, eventId, random)) + FIRST_AUCTION_ID;
  // The reference adds FIRST_PERSON_ID to the bidder twice; kept, so bidder ids match its figures.
  const bidder =
    (random.nextInt(config.hotBiddersRatio) > 0
      ? Math.trunc(lastBase0PersonId(config, eventId) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1
      : nextBase0PersonId(config, eventId, random)) +
    2 * FIRST_PERSON_ID;
  const price = nextPrice(random);
  let channel: string;
  let url: string;
  if (random.nextInt(HOT_CHANNELS_RATIO) > 0) {
    const i = random.nextInt(HOT_CHANNELS.length);
    channel = HOT_CHANNELS[i];
    url = CHANNEL_TABLES.hotUrls[i];
  } else {
    const i = random.nextInt(CHANNELS_NUMBER);
    channel = CHANNEL_TABLES.names[i];
    url = CHANNEL_TABLES.urls[i];
  }
  const extra = nextExtra(random, 32, config.avgBidByteSize);
  return { type: "bid", auction, bidder, price, channel, url, dateTime: timestamp, extra };
}

/**
 * Generates one timeline (split) event by event: event number k has id firstEventId + k and
 * time baseTime + k × (1 s / firstEventRate). Deterministic: the same (config, split, k) always
 * gives the same event, so a reader can resume at any k.
 *
 * @example
 * const timeline = new NexmarkGenerator(nexmarkConfig({ seed: 7 }), { firstEventId: 0, events: 1000 });
 * while (timeline.hasNext()) handle(timeline.next());
 */
export class NexmarkGenerator {
  private readonly random = new EventRandom();

  constructor(
    private readonly config: NexmarkConfig,
    private readonly split: GeneratorSplit,
    /** Events of this split generated so far: the next event number. */
    public eventNumber = 0,
  ) {}

  hasNext(): boolean {
    return this.eventNumber < this.split.events;
  }

  next(): NexmarkEvent {
    const event = this.eventAt(this.eventNumber);
    this.eventNumber += 1;
    return event;
  }

  /** Event number `eventNumber` of this split, without moving the position. */
  eventAt(eventNumber: number): NexmarkEvent {
    const { config, random } = this;
    const eventId = this.split.firstEventId + eventNumber;
    const timestamp = timestampForEvent(config, eventNumber);
    random.reset(config.seed, eventId);
    const kind = eventKind(config, eventId);
    if (kind === "person") return nextPerson(config, eventId, random, timestamp);
    if (kind === "auction") return nextAuction(config, eventId, eventNumber, random, timestamp);
    return nextBid(config, eventId, random, timestamp);
  }
}

/** The first `events` events of one timeline, in order (what `weir nexmark generate` writes). */
export function generateEvents(config: NexmarkConfig, events: number): NexmarkEvent[] {
  const timeline = new NexmarkGenerator(config, { firstEventId: 0, events });
  const out: NexmarkEvent[] = [];
  while (timeline.hasNext()) out.push(timeline.next());
  return out;
}
