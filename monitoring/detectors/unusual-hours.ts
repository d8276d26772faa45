/**
 * Activity at hours unusual for the product. Each product learns an hourly profile (requests per
 * hour of the day, Australia/Sydney time); once it has learned for long enough, requests in an
 * hour that has held (almost) none of its activity raise LOW, and MEDIUM when they keep coming.
 * A stolen credential used overnight against a practice that works business hours looks like this.
 */
import { EvidenceRing } from './evidence-ring.js';
import { KeyTable } from './key-table.js';
import { sydneyHour } from './sydney-hour.js';
import type { ThresholdsOf } from './thresholds.js';
import type { Detector } from './types.js';

export const UNUSUAL_HOURS = 'unusual-hours';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Past this many records the profile is halved: recent habits weigh more and counts stay small. */
const PROFILE_DECAY_AT = 1_000_000;

interface Profile {
  firstSeen: number;
  hours: Float64Array;
  total: number;
  /** The UTC hour (ms / 1 h) being counted. */
  currentHour: number;
  currentCount: number;
  /** Judged once when the hour starts, against the profile as it was then. */
  currentUnusual: boolean;
  evidence: EvidenceRing;
}

const pad = (h: number) => String(h).padStart(2, '0');

export function createUnusualHoursDetector(t: ThresholdsOf<'unusualHours'>): Detector {
  const keys = new KeyTable<Profile>(t.maxKeys, () => ({
    firstSeen: Number.NaN,
    hours: new Float64Array(24),
    total: 0,
    currentHour: Number.NaN,
    currentCount: 0,
    currentUnusual: false,
    evidence: new EvidenceRing(),
  }));

  return {
    name: UNUSUAL_HOURS,
    observe(record, now) {
      const productId = record.productId;
      if (!productId) return [];
      const p = keys.get(`product:${productId}`);
      if (Number.isNaN(p.firstSeen)) p.firstSeen = now;
      const hour = sydneyHour(now);
      const utcHour = Math.floor(now / HOUR_MS);
      if (utcHour !== p.currentHour) {
        p.currentHour = utcHour;
        p.currentCount = 0;
        const learned = now - p.firstSeen >= t.learningMs && p.total >= t.minLearningRecords;
        p.currentUnusual = learned && p.hours[hour]! / p.total <= t.quietShare;
      }
      const shareBefore = p.total > 0 ? p.hours[hour]! / p.total : 0;
      const days = Math.max(1, (now - p.firstSeen) / DAY_MS);
      const expected = p.hours[hour]! / days;
      p.currentCount++;
      p.hours[hour]! += 1;
      p.total++;
      if (p.total > PROFILE_DECAY_AT) {
        for (let h = 0; h < 24; h++) p.hours[h]! /= 2;
        p.total /= 2;
      }
      p.evidence.push(record.id, now);
      if (!p.currentUnusual || p.currentCount < t.minCount) return [];
      return [
        {
          detector: UNUSUAL_HOURS,
          risk: p.currentCount >= t.mediumCount ? 'MEDIUM' : 'LOW',
          key: `product:${productId}`,
          productId,
          developerId: record.developerId,
          observed: p.currentCount,
          baseline: Math.round(expected * 100) / 100,
          message: `${p.currentCount} requests by product ${productId} between ${pad(hour)}:00 and ${pad((hour + 1) % 24)}:00 Sydney time, an hour that has held ${(shareBefore * 100).toFixed(2)}% of its activity`,
          evidence: p.evidence.since(utcHour * HOUR_MS),
        },
      ];
    },
    trackedKeys: () => keys.size,
  };
}
