/** The most recent record ids of one key with their times, in a fixed-size ring (alert evidence). */
import { EVIDENCE_CAP } from './types.js';

export class EvidenceRing {
  private readonly ids: Array<string | undefined>;
  private readonly times: Float64Array;
  private next = 0;
  private size = 0;

  constructor(readonly capacity = EVIDENCE_CAP) {
    this.ids = new Array<string | undefined>(capacity);
    this.times = new Float64Array(capacity);
  }

  push(id: string, at: number): void {
    this.ids[this.next] = id;
    this.times[this.next] = at;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** Ids pushed at or after `since`, oldest first. */
  since(since: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.size; i++) {
      const slot = (this.next - this.size + i + this.capacity) % this.capacity;
      if (this.times[slot]! >= since) out.push(this.ids[slot]!);
    }
    return out;
  }
}
