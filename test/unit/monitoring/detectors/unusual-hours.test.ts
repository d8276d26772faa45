import { sydneyHour } from '../../../../monitoring/detectors/sydney-hour.js';
import { resolveThresholds } from '../../../../monitoring/detectors/thresholds.js';
import { createUnusualHoursDetector } from '../../../../monitoring/detectors/unusual-hours.js';
import { record } from '../fixtures.js';

const defaults = resolveThresholds().unusualHours;
/** January in Sydney is daylight saving time, UTC+11. */
const sydney = (day: number, hour: number, minute = 0) => Date.UTC(2030, 0, day, hour - 11, minute);

/** Eight days of business-hours use (09:00–17:00 Sydney), 10 requests an hour. */
function learnBusinessHours(d: ReturnType<typeof createUnusualHoursDetector>, productId = 'PRD-A') {
  for (let day = 1; day <= 8; day++) {
    for (let hour = 9; hour < 17; hour++) {
      for (let k = 0; k < 10; k++) expect(d.observe(record({ productId }), sydney(day, hour, k * 5))).toEqual([]);
    }
  }
}

describe('Sydney hour', () => {
  test('follows daylight saving: UTC+11 in January, UTC+10 in July', () => {
    expect(sydneyHour(Date.parse('2030-01-15T00:30:00Z'))).toBe(11);
    expect(sydneyHour(Date.parse('2030-07-15T00:30:00Z'))).toBe(10);
    expect(sydneyHour(Date.parse('2030-07-15T14:00:00Z'))).toBe(0);
  });
});

describe('unusual hours detector', () => {
  test('requests at 03:00 Sydney from a business-hours product raise LOW, then MEDIUM', () => {
    const d = createUnusualHoursDetector(defaults);
    learnBusinessHours(d);
    const night = Array.from({ length: defaults.mediumCount }, () => record());
    const out = night.map((r, i) => d.observe(r, sydney(9, 3, 0) + i * 1000));
    expect(out.slice(0, defaults.minCount - 1).flat()).toEqual([]);
    expect(out[defaults.minCount - 1]![0]).toMatchObject({ detector: 'unusual-hours', risk: 'LOW', key: 'product:PRD-A', productId: 'PRD-A', observed: defaults.minCount });
    const last = out.at(-1)![0]!;
    expect(last).toMatchObject({ risk: 'MEDIUM', observed: defaults.mediumCount });
    expect(last.evidence.at(-1)).toBe(night.at(-1)!.id);
  });

  test('business-hours requests after learning raise nothing', () => {
    const d = createUnusualHoursDetector(defaults);
    learnBusinessHours(d);
    for (let k = 0; k < 200; k++) expect(d.observe(record(), sydney(9, 11) + k * 1000)).toEqual([]);
  });

  test('nothing is unusual before the learning period ends', () => {
    const d = createUnusualHoursDetector(defaults);
    for (let k = 0; k < 300; k++) d.observe(record(), sydney(1, 10) + k * 1000);
    for (let k = 0; k < 200; k++) expect(d.observe(record(), sydney(2, 3) + k * 1000)).toEqual([]);
  });

  test('a flood of 100k distinct product ids keeps at most maxKeys keys', () => {
    const d = createUnusualHoursDetector({ ...defaults, maxKeys: 300 });
    for (let i = 0; i < 100_000; i++) d.observe(record({ productId: `PRD-F${i}` }), sydney(3, 10) + i);
    expect(d.trackedKeys()).toBeLessThanOrEqual(300);
  });
});
