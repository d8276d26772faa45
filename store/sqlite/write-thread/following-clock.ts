/**
 * The write thread's clock when the store was given one (tests move it instead of waiting): each
 * rate-limit call carries the store clock's reading (`at`), and the thread's clock is that
 * reading plus the real time since it arrived, so a clock the test holds still stays still here
 * too. It never goes back: a reading is taken when the call is sent, and the call may wait in the
 * thread's queue while earlier ones run; followed back, it would make a window an earlier call
 * opened look longer than it is (a RateLimit-Reset of 4 s in a 3 s window). Pure: the real clock
 * is given.
 */
export interface FollowingClock {
  /** Follows a reading from now on (ignored unless a finite number). */
  follow(at: number | undefined): void;
  /** The time: the latest reading plus the real time since it came, and never less than a time given before. */
  now(): number;
}

export function followingClock(realNow: () => number): FollowingClock {
  let skew = 0;
  let latest = -Infinity;
  return {
    follow(at) {
      if (at === undefined || !Number.isFinite(at)) return;
      skew = at - realNow();
    },
    now() {
      latest = Math.max(latest, realNow() + skew);
      return latest;
    },
  };
}
