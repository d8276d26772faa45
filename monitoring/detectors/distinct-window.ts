/**
 * Distinct values seen within a sliding window, capped: a Map kept in order of last sighting,
 * trimmed from the oldest end. Past `cap` distinct values the oldest are dropped, so the count
 * saturates at `cap` (callers put the cap at their highest threshold: beyond it the answer is
 * the same) and one key's memory stays bounded however many values it sees. Each value keeps the
 * tag of its last sighting (the enumeration detector's org keys tag a client with the product that
 * read it), so `tags` says who the values in the window came through.
 */
export class DistinctWindow {
  private readonly lastSeen = new Map<string, { at: number; tag: string | null }>();

  constructor(
    readonly windowMs: number,
    readonly cap: number,
  ) {}

  /** Records a sighting; returns whether the value was new within the window. */
  add(value: string, now: number, tag: string | null = null): boolean {
    this.expire(now);
    const isNew = !this.lastSeen.has(value);
    if (!isNew) this.lastSeen.delete(value);
    this.lastSeen.set(value, { at: now, tag });
    while (this.lastSeen.size > this.cap) this.lastSeen.delete(this.lastSeen.keys().next().value!);
    return isNew;
  }

  count(now: number): number {
    this.expire(now);
    return this.lastSeen.size;
  }

  /** The distinct tags of the values within the window (null for an untagged sighting), at most `max` of them. */
  tags(now: number, max: number): Array<string | null> {
    this.expire(now);
    const out = new Set<string | null>();
    for (const { tag } of this.lastSeen.values()) {
      out.add(tag);
      if (out.size >= max) break;
    }
    return [...out];
  }

  private expire(now: number): void {
    const oldest = now - this.windowMs;
    for (const [value, seen] of this.lastSeen) {
      if (seen.at >= oldest) break;
      this.lastSeen.delete(value);
    }
  }
}
