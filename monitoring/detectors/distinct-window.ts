/**
 * Distinct values seen within a sliding window, capped: a Map kept in order of last sighting,
 * trimmed from the oldest end. Past `cap` distinct values the oldest are dropped, so the count
 * saturates at `cap` (callers put the cap at their highest threshold: beyond it the answer is
 * the same) and one key's memory stays bounded however many values it sees.
 */
export class DistinctWindow {
  private readonly lastSeen = new Map<string, number>();

  constructor(
    readonly windowMs: number,
    readonly cap: number,
  ) {}

  /** Records a sighting; returns whether the value was new within the window. */
  add(value: string, now: number): boolean {
    this.expire(now);
    const isNew = !this.lastSeen.has(value);
    if (!isNew) this.lastSeen.delete(value);
    this.lastSeen.set(value, now);
    while (this.lastSeen.size > this.cap) this.lastSeen.delete(this.lastSeen.keys().next().value!);
    return isNew;
  }

  count(now: number): number {
    this.expire(now);
    return this.lastSeen.size;
  }

  private expire(now: number): void {
    const oldest = now - this.windowMs;
    for (const [value, at] of this.lastSeen) {
      if (at >= oldest) break;
      this.lastSeen.delete(value);
    }
  }
}
