// The unaligned region after an aligned checkpoint switched to unaligned (its alignment or its
// barrier took longer than the aligned-checkpoint timeout, or upstream switched it). The channels
// that had delivered the barrier owe nothing; the others record until their in-band barrier
// arrives (or a priority one, if upstream switched too). Otherwise as an unaligned checkpoint.

import type { UnalignedHandlers } from "./barrier-handler.ts";
import { recordingHandlers, type Unaligned } from "./unaligned.ts";

export interface Switched extends Omit<Unaligned, "kind"> {
  readonly kind: "switched";
}

export const switched: UnalignedHandlers = recordingHandlers();
