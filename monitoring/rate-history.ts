/**
 * Request rate per product and refusals by code over the last hour, per minute, in memory: the
 * data behind the dashboard chart. A fixed ring of minute slots; each slot counts at most
 * `maxSeries` products (the rest fold into "(other)"), and codes come from a closed list, so the
 * memory is bounded whatever the traffic.
 */
import type { AccessRecord } from '../audit/record.js';
import { isErrorCode } from '../core/errors.js';

/** Series name for requests without a product (staff, anonymous, unreadable tokens). */
export const NO_PRODUCT = '(no product)';
/** Series name for products beyond the per-slot cap. */
export const OTHER_PRODUCTS = '(other)';

export interface RateHistoryOptions {
  /** Width of one slot. Default 60000 (a minute). */
  slotMs?: number;
  /** Slots kept. Default 60 (an hour of minutes). */
  slots?: number;
  /** Products counted per slot before the rest fold into "(other)". Default 200. */
  maxSeries?: number;
}

export interface RateSeries {
  productId: string;
  /** Requests per slot, oldest first, aligned with `bucketStarts`. */
  counts: number[];
  total: number;
}

export interface RateSnapshot {
  slotMs: number;
  /** Start (ms) of each slot, oldest first; the last is the current, still filling slot. */
  bucketStarts: number[];
  /** All requests per slot. */
  totals: number[];
  /** One series per product, busiest first. */
  series: RateSeries[];
  /** Refused requests (DENIED, and PARTIAL for their field refusals) by code over the whole window, commonest first. */
  denialsByCode: Array<{ code: string; count: number }>;
}

export interface RateHistory {
  observe(record: AccessRecord, now: number): void;
  snapshot(now: number): RateSnapshot;
}

interface Slot {
  start: number;
  total: number;
  products: Map<string, number>;
  codes: Map<string, number>;
}

export function createRateHistory(options: RateHistoryOptions = {}): RateHistory {
  const slotMs = options.slotMs ?? 60_000;
  const slotCount = options.slots ?? 60;
  const maxSeries = options.maxSeries ?? 200;
  const ring: Slot[] = Array.from({ length: slotCount }, () => ({ start: Number.NaN, total: 0, products: new Map(), codes: new Map() }));

  function slotAt(now: number): Slot {
    const n = Math.floor(now / slotMs);
    const slot = ring[n % slotCount]!;
    if (slot.start !== n * slotMs) {
      slot.start = n * slotMs;
      slot.total = 0;
      slot.products.clear();
      slot.codes.clear();
    }
    return slot;
  }

  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

  return {
    observe(record, now) {
      const slot = slotAt(now);
      slot.total++;
      let product = record.productId ?? NO_PRODUCT;
      if (!slot.products.has(product) && slot.products.size >= maxSeries) product = OTHER_PRODUCTS;
      bump(slot.products, product);
      if (record.decision === 'ALLOWED') return;
      const codes = new Set<string>();
      for (const c of record.errorCodes) codes.add(c);
      for (const r of record.reasons) codes.add(r.code);
      for (const c of codes) bump(slot.codes, isErrorCode(c) ? c : 'OTHER');
    },
    snapshot(now) {
      const current = Math.floor(now / slotMs);
      const bucketStarts: number[] = [];
      const totals: number[] = [];
      const perProduct = new Map<string, number[]>();
      const codes = new Map<string, number>();
      for (let i = 0; i < slotCount; i++) {
        const start = (current - slotCount + 1 + i) * slotMs;
        bucketStarts.push(start);
        const slot = ring[(current - slotCount + 1 + i) % slotCount];
        const live = slot && slot.start === start;
        totals.push(live ? slot.total : 0);
        if (!live) continue;
        for (const [p, n] of slot.products) {
          let counts = perProduct.get(p);
          if (!counts) perProduct.set(p, (counts = new Array<number>(slotCount).fill(0)));
          counts[i] = n;
        }
        for (const [c, n] of slot.codes) codes.set(c, (codes.get(c) ?? 0) + n);
      }
      const series = [...perProduct].map(([productId, counts]) => ({ productId, counts, total: counts.reduce((a, b) => a + b, 0) })).sort((a, b) => b.total - a.total || a.productId.localeCompare(b.productId));
      const denialsByCode = [...codes].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
      return { slotMs, bucketStarts, totals, series, denialsByCode };
    },
  };
}
