// Process-wide counters, passed explicitly to whoever counts. A later issue exports them to Prometheus.
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

/** A registry of named counters with labels. One per process (or per embedded cluster). */
export class MetricRegistry {
  private readonly counters = new Map<string, Counter>();
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

  /** Sum of a counter over all label sets, optionally filtered by some labels. */
  sum(name: string, where: Record<string, string> = {}): number {
    let total = 0;
    for (const counter of this.counters.values()) {
      if (counter.name !== name) continue;
      if (Object.entries(where).every(([k, v]) => counter.labels[k] === v)) total += counter.value;
    }
    return total;
  }

  snapshot(): { name: string; labels: Record<string, string>; value: number }[] {
    return [...this.counters.values()].map((c) => ({ name: c.name, labels: { ...c.labels }, value: c.value }));
  }
}
