// One keyed state registered in the LMDB backend: its name, kind, TTL and serializer, the key prefix
// of each key group of the subtask's range, and how a stored value appears in a snapshot. Values are
// stored in their snapshot form (a descriptor's serializer converts on every access, not in snapshots).

import type { KeyGroupRange } from "../../core/key-groups.ts";
import type { StateKind, StateSerializer } from "../../core/state-descriptors.ts";
import { isExpired, type StateTtlConfig, type TtlValue } from "../../core/state-ttl.ts";
import { prefixEnd, tablePrefix } from "./lmdb-state-keys.ts";
import { convertEntry, convertStored, type StoredStateInfo } from "../stored-values.ts";

export class LmdbStateTable implements StoredStateInfo {
  /** The TTL of the descriptor that registered the table (restored tables have none until then). */
  ttlConfig: StateTtlConfig | undefined;
  /** Indexed by key group − range start. */
  private readonly prefixes: string[];
  /** The serializer of the first descriptor that registered the table. */
  private serializer: StateSerializer<unknown> | undefined;
  private registered = false;

  constructor(readonly name: string, readonly kind: StateKind, readonly hasTtl: boolean, readonly keyGroupRange: KeyGroupRange) {
    const { start, end } = keyGroupRange;
    this.prefixes = Array.from({ length: end - start + 1 }, (_, index) => tablePrefix(start + index, name));
  }

  /** The key prefix of this state's entries in one key group (by index in the range). */
  prefix(groupIndex: number): string {
    return this.prefixes[groupIndex];
  }

  /** The exclusive end of the key group's range of this state's entries. */
  prefixEnd(groupIndex: number): string {
    return prefixEnd(this.prefixes[groupIndex]);
  }

  /**
   * A descriptor asks for this table: the first one decides the serializer, later ones must agree
   * on having one (as on the heap). Restored values need no conversion: they are stored as snapshotted.
   */
  register(serializer: StateSerializer<unknown> | undefined): void {
    if (!this.registered) {
      this.registered = true;
      this.serializer = serializer;
    } else if ((serializer === undefined) !== (this.serializer === undefined)) {
      throw new Error(`state ${JSON.stringify(this.name)} was registered ${this.serializer ? "with" : "without"} a serializer; a descriptor ${serializer ? "with" : "without"} one cannot use it`);
    }
  }

  /** A cell's value (a value, a list, an accumulator; TTL-wrapped for TTL states) as it is stored. */
  toStored(value: unknown): unknown {
    const serializer = this.serializer;
    return serializer === undefined ? value : convertStored(this, value, (v) => serializer.toSnapshot(v));
  }

  /** A stored value back as the cell's value. */
  fromStored(stored: unknown): unknown {
    const serializer = this.serializer;
    return serializer === undefined ? stored : convertStored(this, stored, (v) => serializer.fromSnapshot(v));
  }

  /** A map entry's value (TTL-wrapped for TTL states) as it is stored. */
  toStoredEntry(value: unknown): unknown {
    const serializer = this.serializer;
    return serializer === undefined ? value : convertEntry(this, value, (v) => serializer.toSnapshot(v));
  }

  /** A stored map entry's value back as the cell's. */
  fromStoredEntry(stored: unknown): unknown {
    const serializer = this.serializer;
    return serializer === undefined ? stored : convertEntry(this, stored, (v) => serializer.fromSnapshot(v));
  }

  /** Whether snapshots leave expired values out. */
  private snapshotTtlMs(): number | undefined {
    return this.hasTtl && this.ttlConfig?.cleanupInFullSnapshot ? this.ttlConfig.ttlMs : undefined;
  }

  /** A stored value (not a map entry) as a snapshot holds it, or undefined when nothing of it is live. */
  snapshotValue(stored: unknown, now: number): unknown {
    const ttl = this.snapshotTtlMs();
    if (ttl === undefined) return stored;
    if (this.kind === "list") {
      const elements = (stored as TtlValue<unknown>[]).filter((element) => !isExpired(element, ttl, now));
      return elements.length > 0 ? elements : undefined;
    }
    return isExpired(stored as TtlValue<unknown>, ttl, now) ? undefined : stored;
  }

  /** Whether a map entry's stored value belongs in a snapshot. */
  liveMapValue(stored: unknown, now: number): boolean {
    const ttl = this.snapshotTtlMs();
    return ttl === undefined || !isExpired(stored as TtlValue<unknown>, ttl, now);
  }
}
