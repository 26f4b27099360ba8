// Timers as a user function sees them: register and delete timers for the key being processed,
// in processing time (the clock) or event time (watermarks).

export type TimeDomain = "processing-time" | "event-time";

/** What a user function sees: timers for the key being processed. */
export interface TimerService {
  currentProcessingTime(): number;
  /** The operator's current event time: the last watermark it received (−∞ before the first). */
  currentWatermark(): number;
  registerProcessingTimeTimer(timestamp: number): void;
  deleteProcessingTimeTimer(timestamp: number): void;
  registerEventTimeTimer(timestamp: number): void;
  deleteEventTimeTimer(timestamp: number): void;
}
