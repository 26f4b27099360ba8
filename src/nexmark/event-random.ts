// The generator's randomness: one small PRNG re-seeded per event from (seed, event id), so an event
// is a pure function of its id and any split can be generated, or regenerated, on its own.
// Receives a seed and an event id; sends numbers. No allocation per event.

const TWO_32 = 4_294_967_296;

/** murmur3's 32-bit finaliser: spreads every input bit over the output. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32 over one 32-bit state, reset per event. */
export class EventRandom {
  private state = 0;

  /** Starts the sequence of event `eventId` under `seed`. */
  reset(seed: number, eventId: number): this {
    const low = eventId >>> 0;
    const high = Math.floor(eventId / TWO_32) >>> 0;
    const seedLow = seed >>> 0;
    const seedHigh = Math.floor(seed / TWO_32) >>> 0;
    this.state = fmix32(fmix32(low ^ Math.imul(seedLow, 0x9e3779b1)) ^ Math.imul(high ^ seedHigh ^ 0x7f4a7c15, 0x85ebca6b));
    return this;
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, bound) for an integer bound ≥ 1 (like Java's nextInt(bound)). */
  nextInt(bound: number): number {
    return Math.floor((this.nextUint32() / TWO_32) * bound);
  }

  /** Uniform in [0, 1) with 53 bits. */
  nextDouble(): number {
    return ((this.nextUint32() >>> 5) * 67_108_864 + (this.nextUint32() >>> 6)) / 9_007_199_254_740_992;
  }

  /** Uniform in [0, bound) for bounds beyond 2^31 too (the reference's LongGenerator.nextLong). */
  nextLong(bound: number): number {
    return bound < 2_147_483_647 ? this.nextInt(bound) : Math.floor(this.nextDouble() * bound);
  }
}
