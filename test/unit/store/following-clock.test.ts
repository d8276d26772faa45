/**
 * The write thread's clock when the store was given one (store/sqlite/write-thread/following-clock.ts):
 * it follows each reading the store's clock sends, adds only the real time since, and never goes back.
 */
import { describe, expect, it } from '@jest/globals';
import { followingClock } from '../../../store/sqlite/write-thread/following-clock.js';

/** A real clock the test moves. */
function realClock(start = 50_000) {
  let t = start;
  return { now: () => t, pass: (ms: number) => void (t += ms) };
}

describe('the write thread’s clock following the store’s', () => {
  it('is the latest reading plus the real time since it came', () => {
    const real = realClock();
    const clock = followingClock(real.now);
    clock.follow(1_000_000);
    expect(clock.now()).toBe(1_000_000);
    real.pass(250);
    expect(clock.now()).toBe(1_000_250);
    clock.follow(2_000_000); // the test moved its clock on
    expect(clock.now()).toBe(2_000_000);
  });

  it('stays still with a clock the test holds still, however much real time passes between calls', () => {
    const real = realClock();
    const clock = followingClock(real.now);
    clock.follow(1_000_000);
    expect(clock.now()).toBe(1_000_000);
    real.pass(5_000); // between two calls, longer than a window
    clock.follow(1_000_000);
    expect(clock.now()).toBe(1_000_000);
  });

  it('never goes back: a reading behind the time already given holds the clock where it is', () => {
    const real = realClock();
    const clock = followingClock(real.now);
    clock.follow(1_000_000);
    real.pass(1_000); // the call ran a second on the thread
    expect(clock.now()).toBe(1_001_000);
    clock.follow(1_000_200); // a later call's reading, taken before the thread's time (it waited in the queue)
    expect(clock.now()).toBe(1_001_000);
    real.pass(100);
    expect(clock.now()).toBe(1_001_000);
    real.pass(900); // it catches up and moves on from the reading
    expect(clock.now()).toBe(1_001_200);
  });

  it('ignores what is not a reading', () => {
    const real = realClock();
    const clock = followingClock(real.now);
    clock.follow(1_000_000);
    for (const at of [undefined, Number.NaN, Number.POSITIVE_INFINITY]) clock.follow(at);
    expect(clock.now()).toBe(1_000_000);
  });
});
