// Channel selection per edge: which downstream subtask(s) a record goes to. Pure and deterministic
// (shuffle uses a seeded generator), so a replay routes records exactly as the recorded run did.

import type { PartitionerSpec } from "../messages/schema.ts";
import { subtaskForKey } from "../core/key-groups.ts";
import type { CustomPartitioner } from "../core/functions.ts";

export type { CustomPartitioner } from "../core/functions.ts";

/** Returns a channel index in [0, n), or BROADCAST to send to every channel. */
export interface ChannelSelector {
  select(record: unknown): number;
}

export const BROADCAST = -1;

export type KeySelector<T = unknown, K = unknown> = (record: T) => K;

export interface SelectorContext {
  spec: PartitionerSpec;
  producerIndex: number;
  producerParallelism: number;
  consumerParallelism: number;
  maxParallelism: number;
  keySelector?: KeySelector;
  customPartitioner?: CustomPartitioner;
}

/** Builds the selector for one producing subtask on one edge. */
export function createChannelSelector(ctx: SelectorContext): ChannelSelector {
  const n = ctx.consumerParallelism;
  switch (ctx.spec.kind) {
    case "forward":
      if (ctx.producerParallelism !== n) {
        throw new Error(`forward partitioning needs equal parallelism on both sides (${ctx.producerParallelism} → ${n}): use rebalance() or rescale()`);
      }
      return { select: () => ctx.producerIndex };
    case "global":
      return { select: () => 0 };
    case "broadcast":
      return { select: () => BROADCAST };
    case "rebalance": {
      let next = ctx.producerIndex % n;
      return {
        select: () => {
          const channel = next;
          next = next + 1 === n ? 0 : next + 1;
          return channel;
        },
      };
    }
    case "rescale": {
      const [first, count] = rescaleTargets(ctx.producerIndex, ctx.producerParallelism, n);
      let offset = 0;
      return {
        select: () => {
          const channel = first + offset;
          offset = offset + 1 === count ? 0 : offset + 1;
          return channel;
        },
      };
    }
    case "shuffle": {
      let state = (ctx.producerIndex + 1) * 0x9e3779b1;
      return {
        select: () => {
          state ^= state << 13;
          state ^= state >>> 17;
          state ^= state << 5;
          return (state >>> 0) % n;
        },
      };
    }
    case "hash": {
      const keyOf = required(ctx.keySelector, "hash partitioning needs a key selector");
      const { maxParallelism } = ctx;
      return { select: (record) => subtaskForKey(keyOf(record), n, maxParallelism) };
    }
    case "custom": {
      const keyOf = required(ctx.keySelector, "custom partitioning needs a key selector");
      const partition = required(ctx.customPartitioner, "custom partitioning needs a partitioner");
      return {
        select: (record) => {
          const channel = partition(keyOf(record), n);
          if (!Number.isInteger(channel) || channel < 0 || channel >= n) {
            throw new Error(`custom partitioner returned ${channel}; it must return an integer in [0, ${n})`);
          }
          return channel;
        },
      };
    }
  }
}

/** Rescale's local round robin: the contiguous block of consumers a producer feeds, as [first, count]. */
export function rescaleTargets(producer: number, producers: number, consumers: number): [number, number] {
  if (consumers >= producers) {
    const first = Math.floor((producer * consumers) / producers);
    const end = Math.floor(((producer + 1) * consumers) / producers);
    return [first, end - first];
  }
  return [Math.floor((producer * consumers) / producers), 1];
}

function required<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new Error(message);
  return value;
}
