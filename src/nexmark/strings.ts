// Nexmark's string makers (the reference's StringsGenerator): short random words, and the "extra"
// padding that brings each event to its configured average size, cut from one shared 1 MiB string
// so that padding costs a substring, not a loop. Receives an EventRandom; sends strings.

import { EventRandom } from "./event-random.ts";

const MIN_STRING_LENGTH = 3;
const REUSABLE_LENGTH = 1024 * 1024;
const A = 97;

/** One fixed 1 MiB string of lowercase letters: the same in every process, whatever the seed. */
const REUSABLE_EXTRA = (() => {
  const random = new EventRandom().reset(0x5eed, 0);
  const codes = new Uint8Array(REUSABLE_LENGTH);
  for (let i = 0; i < REUSABLE_LENGTH; i++) codes[i] = A + random.nextInt(26);
  return new TextDecoder("latin1").decode(codes);
})();

/** 3 to maxLength−1 characters, a–z with about 1 in 13 being `special`, trimmed (as in the reference). */
export function nextString(random: EventRandom, maxLength: number, special = " "): string {
  let length = MIN_STRING_LENGTH + random.nextInt(maxLength - MIN_STRING_LENGTH);
  let text = "";
  while (length-- > 0) text += random.nextInt(13) === 0 ? special : String.fromCharCode(A + random.nextInt(26));
  return special === " " ? text.trim() : text;
}

/** Exactly `length` letters. */
export function nextExactString(random: EventRandom, length: number): string {
  if (length < REUSABLE_LENGTH / 2) {
    const offset = random.nextInt(REUSABLE_LENGTH - length);
    return REUSABLE_EXTRA.substring(offset, offset + length);
  }
  let text = "";
  while (length-- > 0) text += String.fromCharCode(A + random.nextInt(26));
  return text;
}

/** Padding so that an event of `currentSize` bytes averages `desiredAverageSize` (±20%). */
export function nextExtra(random: EventRandom, currentSize: number, desiredAverageSize: number): string {
  if (currentSize > desiredAverageSize) return "";
  const remaining = desiredAverageSize - currentSize;
  const delta = Math.round(remaining * 0.2);
  const size = remaining - delta + (delta === 0 ? 0 : random.nextInt(2 * delta));
  return nextExactString(random, size);
}
