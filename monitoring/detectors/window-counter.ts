/**
 * A count over a sliding time window in fixed memory: a ring of `slots` time buckets, each
 * `windowMs / slots` wide. Adding and totalling touch only the ring, so a key's state never
 * grows with its traffic. The window is approximate to one bucket, which is what alerting needs.
 */
export class WindowCounter {
  private readonly bucketMs: number;
  private readonly counts: Float64Array;
  /** Start time of the bucket each slot holds (NaN: never used). */
  private readonly starts: Float64Array;

  constructor(
    readonly windowMs: number,
    readonly slots = 10,
  ) {
    this.bucketMs = Math.max(1, Math.ceil(windowMs / slots));
    this.counts = new Float64Array(slots);
    this.starts = new Float64Array(slots).fill(Number.NaN);
  }

  add(now: number, by = 1): void {
    const start = Math.floor(now / this.bucketMs) * this.bucketMs;
    const slot = Math.floor(now / this.bucketMs) % this.slots;
    if (this.starts[slot] !== start) {
      this.starts[slot] = start;
      this.counts[slot] = 0;
    }
    this.counts[slot]! += by;
  }

  /** The count over the buckets that overlap the window ending at `now`. */
  total(now: number): number {
    const oldest = (Math.floor(now / this.bucketMs) - this.slots + 1) * this.bucketMs;
    let sum = 0;
    for (let i = 0; i < this.slots; i++) {
      const s = this.starts[i]!;
      if (s >= oldest && s <= now) sum += this.counts[i]!;
    }
    return sum;
  }
}
