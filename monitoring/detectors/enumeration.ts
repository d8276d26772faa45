/**
 * Enumeration of taxpayers (the framework's fraudulent-developer scenario): a product or an org
 * touching many distinct clients within a window, or a product whose requests are mostly
 * refused CLIENT_NOT_AUTHORISED (guessing client ids it has no authorisation for).
 */
import type { AccessRecord } from '../../audit/record.js';
import { DistinctWindow } from './distinct-window.js';
import { EvidenceRing } from './evidence-ring.js';
import { KeyTable, SplitKeyTable } from './key-table.js';
import { describeWindow, hasCode, productCheckCode } from './record-codes.js';
import type { ThresholdsOf } from './thresholds.js';
import type { AlertCandidate, Detector } from './types.js';
import { WindowCounter } from './window-counter.js';

export const ENUMERATION = 'enumeration';

/** Digests are 64 hex characters; 16 (64 bits) tell clients apart just as well in a window. */
const DIGEST_PREFIX = 16;
/** Products an org alert's message lists when its clients came through more than one. */
const ORG_PRODUCTS_NAMED = 3;

interface DistinctState {
  clients: DistinctWindow;
  evidence: EvidenceRing;
}

interface GuessState {
  samples: WindowCounter;
  refused: WindowCounter;
  evidence: EvidenceRing;
}

export function createEnumerationDetector(t: ThresholdsOf<'enumeration'>): Detector {
  // maxKeys bounds the detector as a whole: half for distinct-client keys, half for guessed-id keys.
  const perTable = Math.max(1, Math.floor(t.maxKeys / 2));
  // Past distinctHigh the risk no longer changes, so no key needs to remember more clients.
  // Source-address keys and product/org keys each have half of it (SplitKeyTable).
  const distinct = new SplitKeyTable<DistinctState>(perTable, () => ({ clients: new DistinctWindow(t.windowMs, t.distinctHigh), evidence: new EvidenceRing() }));
  const guesses = new KeyTable<GuessState>(perTable, () => ({ samples: new WindowCounter(t.windowMs), refused: new WindowCounter(t.windowMs), evidence: new EvidenceRing() }));

  function distinctClients(key: string, what: string, record: AccessRecord, now: number, bounds: { medium: number; high: number } = { medium: t.distinctMedium, high: t.distinctHigh }, byOrg = false): AlertCandidate | null {
    const state = distinct.get(key);
    let added = false;
    for (const d of record.clientDigests) added = state.clients.add(d.slice(0, DIGEST_PREFIX), now, byOrg ? record.productId : null) || added;
    if (added) state.evidence.push(record.id, now);
    const count = state.clients.count(now);
    if (count < bounds.medium) return null;
    let productId = record.productId;
    let developerId = record.developerId;
    let through = '';
    if (byOrg) {
      // Several products may act for one org: the org's alert names a product only when every
      // client in the window came through it (then the product shows the condition itself), never
      // the product of whichever record crossed the threshold, which may have read one client
      // (review s20b F1). Otherwise it names none, and the message lists the products for ATO staff.
      const products = state.clients.tags(now, ORG_PRODUCTS_NAMED + 1);
      if (products.length !== 1 || products[0] !== record.productId) {
        productId = null;
        developerId = null;
        const named = products.slice(0, ORG_PRODUCTS_NAMED).map((p) => p ?? '(none)');
        through = ` through products ${named.join(', ')}${products.length > ORG_PRODUCTS_NAMED ? ', …' : ''}`;
      }
    }
    return {
      detector: ENUMERATION,
      risk: count >= bounds.high ? 'HIGH' : 'MEDIUM',
      key,
      productId,
      developerId,
      observed: count,
      baseline: bounds.medium,
      message: `${count >= bounds.high ? 'at least ' : ''}${count} distinct clients ${what}${through} within ${describeWindow(t.windowMs)}`,
      evidence: state.evidence.since(now - t.windowMs),
    };
  }

  function guessedIds(productId: string, record: AccessRecord, now: number): AlertCandidate | null {
    const refused = hasCode(record, 'CLIENT_NOT_AUTHORISED');
    // Only requests naming a client say anything about guessing client ids.
    if (!refused && record.clientDigests.length === 0) return null;
    const key = `product:${productId}:not-authorised`;
    const state = guesses.get(key);
    state.samples.add(now);
    if (refused) {
      state.refused.add(now);
      state.evidence.push(record.id, now);
    }
    const samples = state.samples.total(now);
    if (samples < t.notAuthorisedMinSamples) return null;
    const share = state.refused.total(now) / samples;
    if (share < t.notAuthorisedShareMedium) return null;
    return {
      detector: ENUMERATION,
      risk: share >= t.notAuthorisedShareHigh ? 'HIGH' : 'MEDIUM',
      key,
      productId,
      developerId: record.developerId,
      observed: Math.round(share * 1000) / 1000,
      baseline: t.notAuthorisedShareMedium,
      message: `${Math.round(share * 100)}% of ${samples} client requests by product ${productId} refused CLIENT_NOT_AUTHORISED within ${describeWindow(t.windowMs)}`,
      evidence: state.evidence.since(now - t.windowMs),
    };
  }

  return {
    name: ENUMERATION,
    observe(record, now) {
      const out: AlertCandidate[] = [];
      if (record.clientDigests.length > 0) {
        if (record.productId) {
          const c = distinctClients(`product:${record.productId}`, `accessed by product ${record.productId}`, record, now);
          if (c) out.push(c);
        }
        if (record.org) {
          const c = distinctClients(`org:${record.org}`, `accessed by org ${record.org}`, record, now, undefined, true);
          if (c) out.push(c);
        }
      }
      // Software that may not run (refused at the product check), or a caller without a valid
      // token, asking for taxpayers at all is suspicious at far fewer clients than a certified
      // practice reading its own: counted on keys of its own with the lower refused* bounds.
      if (record.clientDigests.length > 0 && record.decision === 'DENIED') {
        const refusedBounds = { medium: t.refusedDistinctMedium, high: t.refusedDistinctHigh };
        if (record.productId && productCheckCode(record)) {
          const c = distinctClients(`product:${record.productId}:refused`, `named by product ${record.productId}, refused at the product check,`, record, now, refusedBounds);
          if (c) out.push(c);
        } else if (!record.productId && !record.sub && record.clientIp) {
          const c = distinctClients(`ip:${record.clientIp}:unauthenticated`, `named without a valid token from ${record.clientIp}`, record, now, refusedBounds);
          if (c) out.push(c);
        }
      }
      if (record.productId) {
        const c = guessedIds(record.productId, record, now);
        if (c) out.push(c);
      }
      return out;
    },
    trackedKeys: () => distinct.size + guesses.size,
  };
}
