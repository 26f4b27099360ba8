// The handle a state descriptor yields over a store's cells: the kind's handle (keyed-states.ts),
// wrapped for TTL when the descriptor has one (ttl-states.ts). Every store — heap, LMDB, a window's
// per-window state — hands out its handles through this one function.

import type { StateFor } from "../core/keyed-state.ts";
import type { AggregatingStateDescriptor, ReducingStateDescriptor, StateDescriptor, ValueStateDescriptor } from "../core/state-descriptors.ts";
import type { Clock } from "../core/clock.ts";
import { TtlPolicy, type TtlValue } from "../core/state-ttl.ts";
import { CellAggregatingState, CellListState, CellMapState, CellReducingState, CellValueState } from "./keyed-states.ts";
import type { StateCells } from "./state-cells.ts";
import { TtlAggregatingState, TtlListState, TtlMapState, TtlReducingState, TtlValueState } from "./ttl-states.ts";

/**
 * The handle for `descriptor` over `cells`. A descriptor with a TTL gets the TTL handle over a
 * handle of wrapped values, reading time from `clock`.
 */
export function stateHandle<D extends StateDescriptor>(descriptor: D, cells: StateCells, clock: Clock): StateFor<D> {
  const d: StateDescriptor = descriptor;
  const ttl = d.ttlConfig === undefined ? undefined : new TtlPolicy(d.ttlConfig, () => clock.now());
  return handleOf(d, cells, ttl) as StateFor<D>;
}

function handleOf(d: StateDescriptor, cells: StateCells, ttl: TtlPolicy | undefined): unknown {
  switch (d.kind) {
    case "value": {
      const { defaultValue } = d as ValueStateDescriptor<unknown>;
      if (ttl === undefined) return new CellValueState(cells.value(), defaultValue);
      return new TtlValueState(new CellValueState<TtlValue<unknown>>(cells.value(), undefined), ttl, defaultValue);
    }
    case "list":
      return ttl === undefined ? new CellListState(cells.value(), d.name) : new TtlListState(new CellListState<TtlValue<unknown>>(cells.value(), d.name), ttl, d.name);
    case "reducing": {
      const { reduce } = d as ReducingStateDescriptor<unknown>;
      if (ttl === undefined) return new CellReducingState(cells.value(), reduce);
      return new TtlReducingState(new CellValueState<TtlValue<unknown>>(cells.value(), undefined), ttl, reduce);
    }
    case "aggregating": {
      const fn = (d as AggregatingStateDescriptor<unknown, unknown, unknown>).aggregateFunction;
      if (ttl === undefined) return new CellAggregatingState(cells.value(), fn);
      return new TtlAggregatingState(new CellValueState<TtlValue<unknown>>(cells.value(), undefined), ttl, fn);
    }
    case "map":
      return ttl === undefined ? new CellMapState(cells.map()) : new TtlMapState(new CellMapState<unknown, TtlValue<unknown>>(cells.map()), ttl);
  }
}
