// One key's buffered records of one side of an interval join: buckets of the records with one
// timestamp, sorted by timestamp. Pure functions over plain arrays and objects, so the buffer
// snapshots as msgpack as it is; lookups are binary searches.

export interface Bucket {
  timestamp: number;
  records: unknown[];
}

/** Buckets in ascending timestamp order, at most one per timestamp. */
export type IntervalBuffer = Bucket[];

/** The index of the first bucket at or after `timestamp` (the length if there is none). */
function firstAtOrAfter(buffer: IntervalBuffer, timestamp: number): number {
  let low = 0;
  let high = buffer.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (buffer[middle].timestamp < timestamp) low = middle + 1;
    else high = middle;
  }
  return low;
}

export function addRecord(buffer: IntervalBuffer, timestamp: number, record: unknown): void {
  const index = firstAtOrAfter(buffer, timestamp);
  const bucket = buffer[index];
  if (bucket !== undefined && bucket.timestamp === timestamp) bucket.records.push(record);
  else buffer.splice(index, 0, { timestamp, records: [record] });
}

/** Calls `visit` for every record with a timestamp in [from, to], in timestamp order. */
export function forEachBetween(buffer: IntervalBuffer, from: number, to: number, visit: (record: unknown, timestamp: number) => void): void {
  for (let i = firstAtOrAfter(buffer, from); i < buffer.length && buffer[i].timestamp <= to; i++) {
    const { timestamp, records } = buffer[i];
    for (const record of records) visit(record, timestamp);
  }
}

/** Drops the bucket at `timestamp`; says whether there was one. */
export function removeBucket(buffer: IntervalBuffer, timestamp: number): boolean {
  const index = firstAtOrAfter(buffer, timestamp);
  if (buffer[index]?.timestamp !== timestamp) return false;
  buffer.splice(index, 1);
  return true;
}
