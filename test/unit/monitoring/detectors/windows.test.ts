import { DistinctWindow } from '../../../../monitoring/detectors/distinct-window.js';
import { EvidenceRing } from '../../../../monitoring/detectors/evidence-ring.js';
import { WindowCounter } from '../../../../monitoring/detectors/window-counter.js';

describe('bounded windows', () => {
  test('the window counter forgets counts older than its window', () => {
    const c = new WindowCounter(10_000, 10);
    for (let i = 0; i < 10; i++) c.add(i * 1000);
    expect(c.total(9_500)).toBe(10);
    expect(c.total(15_000)).toBe(4);
    expect(c.total(100_000)).toBe(0);
  });

  test('the distinct window counts each value once and saturates at its cap', () => {
    const w = new DistinctWindow(60_000, 100);
    for (let i = 0; i < 50; i++) w.add(`v${i % 10}`, i);
    expect(w.count(100)).toBe(10);
    for (let i = 0; i < 1000; i++) w.add(`x${i}`, 200 + i);
    expect(w.count(1300)).toBe(100);
    expect(w.count(200_000)).toBe(0);
  });

  test('the evidence ring keeps the newest ids, oldest first', () => {
    const r = new EvidenceRing(3);
    for (let i = 1; i <= 5; i++) r.push(`id${i}`, i);
    expect(r.since(0)).toEqual(['id3', 'id4', 'id5']);
    expect(r.since(5)).toEqual(['id5']);
  });
});
