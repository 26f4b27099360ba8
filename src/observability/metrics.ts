// Process-wide counters, passed explicitly to whoever counts; prometheus.ts exports them.
// Receives increments; sends nothing.

export class Counter {
  private total = 0;
  constructor(readonly name: string, readonly labels: Readonly<Record<string, string>>) {}
  inc(by = 1): void {
    this.total += by;
  }
  get value(): number {
    return this.total;
  }
}

/** A distribution of observed values (ms): count, sum, min, max and power-of-two buckets for quantiles. */
export class Histogram {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  /** buckets[i] counts values in [2^(i-1), 2^i), bucket 0 counts values below 1. */
  private readonly buckets: number[] = [];
  constructor(readonly name: string, readonly labels: Readonly<Record<string, string>>) {}

  observe(value: number): void {
    this.count += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    const bucket = value < 1 ? 0 : Math.floor(Math.log2(value)) + 1;
    this.buckets[bucket] = (this.buckets[bucket] ?? 0) + 1;
  }

  /** An upper bound of the q-quantile (0 < q ≤ 1), from the buckets. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i] ?? 0;
      if (seen >= q * this.count) return Math.min(this.max, 2 ** i);
    }
    return this.max;
  }
}

/** A registry of named counters with labels. One per process (or per embedded cluster). */
export class MetricRegistry {
  private readonly counters = new Map<string, Counter>();
  private readonly histograms = new Map<string, Histogram>();
  private readonly seen = new Set<string>();

  /** True the first time `key` is passed on this registry: for "log once" decisions. */
  firstTime(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }

  counter(name: string, labels: Record<string, string> = {}): Counter {
    const key = `${name}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${v}`).join(",")}}`;
    let counter = this.counters.get(key);
    if (!counter) {
      counter = new Counter(name, labels);
      this.counters.set(key, counter);
    }
    return counter;
  }

  histogram(name: string, labels: Record<string, string> = {}): Histogram {
    const key = `${name}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${v}`).join(",")}}`;
    let histogram = this.histograms.get(key);
    if (!histogram) {
      histogram = new Histogram(name, labels);
      this.histograms.set(key, histogram);
    }
    return histogram;
  }

  /** Histograms of one name whose labels include `where`. */
  histogramsOf(name: string, where: Record<string, string> = {}): Histogram[] {
    return [...this.histograms.values()].filter((h) => h.name === name && Object.entries(where).every(([k, v]) => h.labels[k] === v));
  }

  /** Sum of a counter over all label sets, optionally filtered by some labels. */
  sum(name: string, where: Record<string, string> = {}): number {
    let total = 0;
    for (const counter of this.counters.values()) {
      if (counter.name !== name) continue;
      if (Object.entries(where).every(([k, v]) => counter.labels[k] === v)) total += counter.value;
    }
    return total;
  }

  histogramsSnapshot(): { name: string; labels: Record<string, string>; histogram: Histogram }[] {
    return [...this.histograms.values()].map((h) => ({ name: h.name, labels: { ...h.labels }, histogram: h }));
  }

  snapshot(): { name: string; labels: Record<string, string>; value: number }[] {
    return [...this.counters.values()].map((c) => ({ name: c.name, labels: { ...c.labels }, value: c.value }));
  }
}
