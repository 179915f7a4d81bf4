import type { Clock } from "../../src/types.ts";

/** A clock that moves only when told (CONVENTIONS habit 6). */
export interface FakeClock extends Clock {
  set(d: Date | string): void;
  advance(ms: number): void;
}

/** Fixed reference time for tests: 2026-11-23T01:00:00Z (09:00 in Asia/Taipei). */
export const REFERENCE_TIME = "2026-11-23T01:00:00.000Z";

/** Builds a {@link FakeClock} starting at `start`. */
export function fakeClock(start: Date | string = REFERENCE_TIME): FakeClock {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    set: (d) => {
      t = new Date(d).getTime();
    },
    advance: (ms) => {
      t += ms;
    },
  };
}
